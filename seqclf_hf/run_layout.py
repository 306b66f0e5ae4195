"""What a run's output_dir holds: every file name, folder name, suffix and key that training writes and the loaders,
the model card, the push, the export and the Space read, and the one table of split names."""

from dataclasses import dataclass
from pathlib import Path

from peft.utils import CONFIG_NAME as ADAPTER_CONFIG  # adapter_config.json: the folder holds a peft adapter

CONFIG_FILE = "config.json"  # a whole model (an adapter's base model holds it)
# An adapter's label names in id order and problem type: its base model's config does not have them.
LABELS_FILE = "labels.json"
METRICS_FILE = "metrics.json"
RUN_ARGS_FILE = "run_args.json"  # every option of the run, for the model card
PREDICT_RESULTS_FILE = "predict_results.csv"  # --predict_file, or an unlabeled --test_file, predicted after training
MODEL_CARD_FILE = "README.md"
TRAINING_CURVE_FILE = "training_curve.png"
BASE_DIR = "base"  # an adapter's base model, saved inside its folder when it was trained from scratch
MERGED_DIR = "merged"  # a LoRA adapter merged into its base model (--merge_lora)
ONNX_FILE = "model.onnx"  # the graph of an export folder (seqclf_hf.export), beside its config and tokenizer
ONNX_DIR, ONNX_INT8_DIR = "onnx", "onnx-int8"  # where seqclf_hf.export writes inside a run's folder by default
INCOMPLETE_SUFFIX = ".incomplete"  # a replacing run writes here, beside the run it replaces
REPLACED_SUFFIX = ".replaced"  # the replaced run, for the moment between the two renames
THRESHOLD_KEY = "multi_label_threshold"  # config.json (labels.json of an adapter): the threshold training decided by
LONG_TEXT_KEY = "long_text"  # config.json (labels.json of an adapter): how a chunked model windows a text
# The keys of config.json training adds that an adapter, whose base model has its own config, keeps in labels.json.
RUN_CONFIG_KEYS = (THRESHOLD_KEY, LONG_TEXT_KEY)
DEFAULT_THRESHOLD = 0.5  # models saved before training stored its threshold


@dataclass(frozen=True)
class Split:
    """One split's names: in the `DatasetDict` and on the model card (`name`), as the Trainer prefixes its metrics
    (`prefix`), and the option that gives its file (`file_option`)."""

    name: str
    prefix: str
    file_option: str


SPLITS = (
    Split("train", "train", "train_file"),
    Split("validation", "eval", "validation_file"),
    Split("test", "test", "test_file"),
)
SPLIT_NAMES = tuple(split.name for split in SPLITS)


def confusion_matrix_file(prefix: str) -> str:
    return f"confusion_{prefix}.png"


def scatter_file(prefix: str) -> str:
    return f"scatter_{prefix}.png"


def beside(output_dir: Path, suffix: str) -> Path:
    """The folder next to `output_dir` named with `suffix` (INCOMPLETE_SUFFIX, REPLACED_SUFFIX)."""
    return output_dir.with_name(output_dir.name + suffix)


def is_adapter(source: str | Path) -> bool:
    return (Path(source) / ADAPTER_CONFIG).is_file()


def is_onnx_export(source: str | Path) -> bool:
    return (Path(source) / ONNX_FILE).is_file()
