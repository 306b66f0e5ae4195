"""The recipe as a Python call, for notebooks: `train(model="lstm", train_file="x.csv", num_train_epochs=3)`.

Every keyword is a recipe option (`seqclf-hf train --help` lists them) and goes through the command's own parser, so
the defaults, checks, errors and the write-beside-then-swap of output_dir are the command's; a bad option raises the
`UserInputError` the command would print as `error: ...`. Data can also be given in memory: `train_dataset=` (a
`datasets.Dataset` or pandas DataFrame) or `dataset=` (a `DatasetDict`, or a dict of them by split name).
"""

import dataclasses
import json
import tempfile
from pathlib import Path

from .arguments import DataArguments
from .errors import ConfigError
from .inference import Classifier, load_classifier
from .recipe_parser import SECTIONS, check_keys, parse_args
from .training import train as run_training

# The in-memory splits and the recipe options naming their files.
SPLIT_OPTIONS = {"train": "train_file", "validation": "validation_file", "test": "test_file"}
OPTION_NAMES = {field.name for dtype in SECTIONS for field in dataclasses.fields(dtype)}


@dataclasses.dataclass
class InMemoryData(DataArguments):
    """DataArguments whose split files are temporary copies of data given to train() in memory, deleted after the run:
    `in_memory` ({file option: what the data was}) goes to run_args.json and the model card instead of those paths."""

    in_memory: dict[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class TrainResult:
    """What a run left: its output_dir and the metrics it wrote to metrics.json."""

    output_dir: Path
    metrics: dict

    def classifier(self) -> Classifier:
        """The saved model, loaded as `seqclf-hf predict` and the Space load it."""
        return load_classifier(self.output_dir)


def train(model: str | None = None, config: str | None = None, *, train_dataset=None, dataset=None, **options):
    """Train a shipped recipe (`model=`) or a YAML (`config=`) with `options` overriding it; returns a `TrainResult`.

    Raises the command's `UserInputError` (ConfigError, DataError, ModelSetupError) for a bad option or file.
    """
    check_keys(options, OPTION_NAMES, "train()")
    splits = in_memory_splits(train_dataset, dataset)
    if splits and any(options.get(name) for name in ("dataset_name", *SPLIT_OPTIONS.values())):
        raise ConfigError("Give the data once: train_dataset= / dataset=, or dataset_name / train_file, not both.")
    with tempfile.TemporaryDirectory(prefix="seqclf_data_") as folder:
        files = {SPLIT_OPTIONS[split]: write_split(data, Path(folder), split) for split, data in splits.items()}
        selector = {"model": model, "config": config}
        argv = [*as_flags({key: value for key, value in selector.items() if value}), *as_flags({**options, **files})]
        model_args, data_args, *rest = parse_args(argv)
        if splits:
            given = {SPLIT_OPTIONS[split]: describe(data) for split, data in splits.items()}
            data_args = InMemoryData(**dataclasses.asdict(data_args), in_memory=given)
        metrics, _ = run_training(model_args, data_args, *rest)
    return TrainResult(Path(rest[0].output_dir), metrics)


def describe(data) -> str:
    """What a split given in memory was: "pandas.DataFrame of 40 rows"."""
    kind = type(data)
    return f"{kind.__module__.split('.')[0]}.{kind.__name__} of {len(data):,} rows"


def as_flags(options: dict) -> list[str]:
    """Options as the command line spells them: lists as several values, booleans as true/false, dicts as JSON."""
    flags = []
    for name, value in options.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            values = [str(item) for item in value]
        elif isinstance(value, bool):
            values = [str(value).lower()]
        elif isinstance(value, dict):
            values = [json.dumps(value)]
        else:
            values = [str(value)]
        flags += [f"--{name}", *values]
    return flags


def in_memory_splits(train_dataset, dataset) -> dict:
    """{split: Dataset or DataFrame} of the data given in memory; {} when none was."""
    if train_dataset is not None and dataset is not None:
        raise ConfigError("Give train_dataset= (one split) or dataset= (a DatasetDict of splits), not both.")
    if train_dataset is not None:
        return {"train": train_dataset}
    if dataset is None:
        return {}
    if not hasattr(dataset, "keys"):
        raise ConfigError(
            f"dataset= takes a DatasetDict (or a dict of splits), got {type(dataset).__name__}; give one split as "
            "train_dataset=."
        )
    if unknown := sorted(set(dataset) - set(SPLIT_OPTIONS)):
        raise ConfigError(f"dataset= has split(s) {unknown}; name them {', '.join(SPLIT_OPTIONS)}.")
    if "train" not in dataset:
        raise ConfigError("dataset= needs a 'train' split.")
    return dict(dataset)


def write_split(data, folder: Path, split: str) -> str:
    """A split as a Parquet file for `load_data`, which reads it as it reads the user's own files (Parquet keeps
    label lists and numbers as they are)."""
    path = folder / f"{split}.parquet"
    if hasattr(data, "to_parquet"):  # datasets.Dataset and pandas.DataFrame alike
        data.to_parquet(str(path))
        return str(path)
    raise ConfigError(f"{split} data must be a datasets.Dataset or a pandas DataFrame, got {type(data).__name__}.")
