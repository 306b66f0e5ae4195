"""Load a text-classification dataset from the Hub or local files (read by reader.py); split and tokenize it.

Every split comes out with `text` (str; a text pair adds `text_pair`) and `label`: a `ClassLabel` whose names are the
label strings ordered from the training split (a list of them for multi-label, a float for regression), so the rest
of the toolkit never sees a dataset's own column names.
"""

import logging
from collections import Counter, defaultdict
from pathlib import Path

import datasets
from datasets import ClassLabel, Dataset, DatasetDict, concatenate_datasets

from .arguments import DataArguments
from .errors import DataError
from .hub_access import hub_reachable
from .reader import FORMATS, file_format, read_dataset, text_columns
from .run_layout import SPLIT_NAMES, SPLITS
from .tasks import ProblemType
from .windows import Windows

logger = logging.getLogger(__name__)

TREC_HUB_ID = "CogComp/trec"
SAMPLE_DATASET = "sample"
# The carved validation split of small data: each class at least this many texts (or half the class, if fewer)...
CLASS_FLOOR = 20
# ... unless the split holds this many texts: then accuracy over all of them already picks the checkpoint.
SMALL_SPLIT = 200


def sample_data_path() -> Path:
    """The questions shipped with the package: written for this project, all six TREC classes."""
    return Path(__file__).parent / "sample_data" / "questions.csv"


def read_local_file(path: str, granularity: str, encoding: str = "utf-8") -> Dataset:
    file_path = Path(path)
    if not file_path.is_file():
        raise DataError(f"Data file {path!r} does not exist. Check the path given to --train/validation/test_file.")
    if file_path.stat().st_size == 0:
        raise DataError(f"Data file {path!r} is empty. Give a file with one example per row.")
    if file_format(file_path) is None:
        raise DataError(f"Data file {path!r} has an unsupported extension; use one of {', '.join(FORMATS)}.")
    return read_dataset(file_path, granularity, encoding)


def load_hub_dataset(args: DataArguments) -> DatasetDict:
    name = args.dataset_name or TREC_HUB_ID
    hub_reachable()  # offline, the cache answers (or fails) at once instead of after the client's retries
    try:
        return datasets.load_dataset(name, args.dataset_config_name)
    except (ConnectionError, OSError, ValueError) as error:
        raise DataError(
            f"Could not load dataset {name!r} (--dataset_name) from the Hugging Face Hub "
            f"({type(error).__name__}: {error}). "
            "Offline, or to use your own data, pass --train_file (and optionally --validation_file / --test_file), "
            "e.g. --train_file train_5500.label, or --dataset_name sample for the shipped demo questions."
        ) from error


def label_column_of(dataset: Dataset, args: DataArguments) -> str:
    return args.label_column_name or default_label_column(dataset.column_names, args.label_granularity)


def predict_source(args: DataArguments) -> str | None:
    """The file to predict rather than score: --predict_file, or a --test_file without the label column."""
    if args.predict_file:
        return args.predict_file
    if args.test_file:
        test = read_local_file(args.test_file, args.label_granularity, args.file_encoding)
        if label_column_of(test, args) not in test.column_names:
            return args.test_file
    return None


def check_text_columns(dataset: Dataset, args: DataArguments, source: str) -> list[str]:
    """The text column(s) of `dataset`: the ones `args` names (in any case), or the first with a usual name."""
    wanted, how = wanted_text_columns(args)
    return text_columns(dataset.column_names, wanted, source, how)


def load_raw_splits(args: DataArguments) -> tuple[DatasetDict, dict[str, str]]:
    """Every labelled split the source has, and where each came from (for error messages). A file to predict is
    read here only for its columns, so a wrong one fails before training."""
    files = {split.name: getattr(args, split.file_option) for split in SPLITS}
    given_files = {split: path for split, path in files.items() if path}
    to_predict = predict_source(args)
    if to_predict:
        if file_format(Path(to_predict)) is None:
            raise DataError(f"--predict_file {to_predict}: give a {', '.join(FORMATS)} file.")
        check_text_columns(read_local_file(to_predict, args.label_granularity, args.file_encoding), args, to_predict)
        logger.info("%s is predicted after training, not scored (output_dir/predict_results.csv).", to_predict)
        if given_files.get("test") == to_predict:
            del given_files["test"]
    if given_files:
        splits = {
            split: read_local_file(path, args.label_granularity, args.file_encoding)
            for split, path in given_files.items()
        }
        return DatasetDict(splits), given_files
    if args.dataset_name == SAMPLE_DATASET:
        path = sample_data_path()
        return DatasetDict(train=read_local_file(str(path), args.label_granularity)), {"train": str(path)}
    dataset = load_hub_dataset(args)
    name = args.dataset_name or TREC_HUB_ID
    # Ours <- the dataset's (--train_split_name ...): a split named otherwise ("dev") is used, not ignored.
    names = {"train": args.train_split_name, "validation": args.validation_split_name, "test": args.test_split_name}
    renamed = {ours: dataset[theirs] for ours, theirs in names.items() if theirs in dataset}
    unused = {split: dataset[split] for split in dataset if split not in {*names, *names.values()}}
    return DatasetDict({**unused, **renamed}), {ours: f"{name} [{theirs}]" for ours, theirs in names.items()}


def default_label_column(columns: list[str], granularity: str) -> str:
    trec_column = f"{granularity}_label"  # TREC on the Hub: coarse_label / fine_label
    return trec_column if trec_column in columns else "label"


def wanted_text_columns(args: DataArguments) -> tuple[list[str] | None, str]:
    """The text column(s) the options name (None: the usual names), and the option that names them (for errors)."""
    if args.text_column_names:
        return [name.strip() for name in args.text_column_names.split(",") if name.strip()], "--text_column_names"
    return ([args.text_column_name] if args.text_column_name else None), "--text_column_name"


def select_columns(dataset: Dataset, args: DataArguments, source: str) -> Dataset:
    """Keep the text and label columns, renamed `text` (and `text_pair` for a pair) and `label`; texts as strings,
    Hub class labels as names, other labels as they are (their problem type decides what they become)."""
    texts = check_text_columns(dataset, args, source)
    label_column = label_column_of(dataset, args)
    if label_column not in dataset.column_names:
        raise DataError(
            f"{source} has no column {label_column!r}; its columns are {dataset.column_names}. Name the right one "
            "with --label_column_name."
        )
    feature = dataset.features[label_column]
    if isinstance(feature, ClassLabel):  # map Hub labels by name: their integer order has changed over time
        dataset = dataset.cast_column(label_column, datasets.Value("int64"))
        dataset = dataset.map(lambda row: {label_column: feature.int2str(row[label_column])})
    dataset = dataset.select_columns([*texts, label_column])
    if len(texts) > 2:  # one text: the columns joined
        join = args.text_column_delimiter.join
        dataset = dataset.map(lambda row: {"text": join(str(row[c] or "") for c in texts)}, remove_columns=texts)
        texts = ["text"]
    text_names = dict(zip(texts, ("text", "text_pair"), strict=False))
    dataset = dataset.rename_columns({**text_names, label_column: "label"})
    # A missing text becomes "", never a dropped row.
    for name in text_names.values():
        dataset = dataset.cast_column(name, datasets.Value("string"))
    return dataset.map(lambda row: {name: row[name] or "" for name in text_names.values()})


def is_list(feature) -> bool:
    return isinstance(feature, (datasets.List, datasets.LargeList))


def infer_problem_type(feature, label_delimiter: str | None) -> str:
    """What transformers calls the task, from the training split's label column: lists (or delimited strings) are
    several labels per text, floats a number per text, anything else one label per text."""
    if is_list(feature) or label_delimiter:
        return ProblemType.MULTI_LABEL
    if isinstance(feature, datasets.Value) and feature.dtype.startswith("float"):
        return ProblemType.REGRESSION
    return ProblemType.SINGLE_LABEL


def split_labels(value, delimiter: str | None) -> list[str]:
    """A multi-label row's label names: a list as it is, a string cut at the delimiter; nothing for a missing one."""
    if value is None:
        return []
    if isinstance(value, str):
        parts = value.split(delimiter) if delimiter else [value]
        return [part.strip() for part in parts if part.strip()]
    return [str(label) for label in value]


def regression_value(value, row: int, split: str, source: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise DataError(
            f"Row {row} of the {split} split ({source}) has label {value!r}, not a number: a regression needs a "
            "number in every row of the label column. Fix the row, or give --problem_type for another task."
        ) from None


def label_values(dataset: Dataset, problem_type: str, delimiter: str | None, split: str, source: str) -> Dataset:
    """The label column as a name (single-label), a list of names (multi-label) or a float (regression)."""
    feature = dataset.features["label"]
    if problem_type == ProblemType.SINGLE_LABEL:
        if is_list(feature):
            raise DataError(
                f"Row 1 of the {split} split ({source}) has a list of labels {dataset[0]['label']!r} in a "
                "single-label run: give --problem_type multi_label_classification for several labels per text."
            )
        return dataset.cast_column("label", datasets.Value("string"))  # integer labels too become names
    if problem_type == ProblemType.MULTI_LABEL:
        names = datasets.List(datasets.Value("string"))
        return dataset.map(
            lambda row: {"label": split_labels(row["label"], delimiter)},
            features=datasets.Features({**dataset.features, "label": names}),
        )
    values = [regression_value(value, row, split, source) for row, value in enumerate(dataset["label"], start=1)]
    return dataset.remove_columns("label").add_column("label", values, feature=datasets.Value("float32"))


def label_names(train: Dataset, source: str) -> list[str]:
    """Sorted labels of the training split (numerically when they are all integers)."""
    values = train["label"]
    if is_list(train.features["label"]):
        values = [label for row in values for label in row]
    names = sorted(set(values))
    if all(name.lstrip("-").isdigit() for name in names):
        names = sorted(names, key=int)
    if len(names) < 2:
        raise DataError(f"{source} has only one label ({names}); a classifier needs at least two classes.")
    return names


def encode_labels(dataset: Dataset, names: list[str], split: str, source: str) -> Dataset:
    """Turn label names into a ClassLabel (a list of them, multi-label); a label the training split never saw is an
    error."""
    known, listed = set(names), is_list(dataset.features["label"])
    for row, value in enumerate(dataset["label"], start=1):
        for label in value if listed else [value]:
            if label not in known:
                raise DataError(
                    f"Row {row} of the {split} split ({source}) has label {label!r}, which the training split never "
                    f"uses (its labels: {names}). Add examples of it to the training data or remove the row."
                )
    label = ClassLabel(names=names)
    return dataset.cast_column("label", datasets.List(label) if listed else label)


def task_of(train: Dataset, args: DataArguments) -> tuple[str, list[str]]:
    """(problem type, output names) of loaded data: a regression's one output is named after its label column."""
    feature = train.features["label"]
    if isinstance(feature, ClassLabel):
        return ProblemType.SINGLE_LABEL, feature.names
    if is_list(feature):
        return ProblemType.MULTI_LABEL, feature.feature.names
    return ProblemType.REGRESSION, [args.label_column_name or "label"]


def carve_split(dataset: Dataset, fraction: float, seed: int) -> tuple[Dataset, Dataset]:
    """(rest, carved) with `fraction` of the examples in `carved`; stratified (that fraction of each class) when
    there is one class per text."""
    stratify = "label" if isinstance(dataset.features["label"], ClassLabel) else None
    try:
        parts = dataset.train_test_split(test_size=fraction, seed=seed, stratify_by_column=stratify)
    except ValueError as error:
        raise DataError(
            f"Could not carve a stratified {fraction:.0%} split from {len(dataset)} examples ({error}). "
            "Give a --validation_file, or more examples of each class."
        ) from error
    return parts["train"], parts["test"]


def with_class_floor(rest: Dataset, carved: Dataset) -> tuple[Dataset, Dataset]:
    """(rest, carved) with texts moved from `rest` into a small carved split until each class holds
    `min(CLASS_FLOOR, half its texts)`: on small data a class of 5 validation texts makes the checkpoint choice noise.
    A split of `SMALL_SPLIT` texts or more is left as stratification made it."""
    if len(carved) >= SMALL_SPLIT or not isinstance(carved.features["label"], ClassLabel):
        return rest, carved
    carved_counts = Counter(carved["label"])
    rest_rows = defaultdict(list)  # rest is shuffled: its first rows of a class are a random draw
    for row, label in enumerate(rest["label"]):
        rest_rows[label].append(row)
    moved = []
    for label, rows in rest_rows.items():
        floor = min(CLASS_FLOOR, (len(rows) + carved_counts[label]) // 2)
        moved += rows[: max(0, floor - carved_counts[label])]
    if not moved:
        return rest, carved
    kept = sorted(set(range(len(rest))) - set(moved))
    return rest.select(kept), concatenate_datasets([carved, rest.select(moved)])


def make_splits(dataset: DatasetDict, args: DataArguments) -> DatasetDict:
    """Use the dataset's own splits; carve what is missing from train with `args.split_seed`."""
    seed = args.split_seed
    if args.notebook_split:  # the course notebooks: all of train, shuffled, 80/10/10
        if set(dataset) - {"train"}:
            logger.warning("--notebook_split re-splits train; the given %s split(s) are not used.", sorted(dataset))
        rest, test = carve_split(dataset["train"], 0.1, seed)
        train, validation = carve_split(rest, 1 / 9, seed)
        return DatasetDict(train=train, validation=validation, test=test)
    if "validation" not in dataset:
        train, validation = with_class_floor(
            *carve_split(dataset["train"], args.validation_split_percentage / 100, seed)
        )
        dataset = DatasetDict({**dataset, "train": train, "validation": validation})
    return dataset


def load_data(args: DataArguments) -> DatasetDict:
    """Load, validate and split: train / validation (/ test) with `text` (and `text_pair`) and `label` columns:
    a ClassLabel (single-label), a list of ClassLabel (multi-label) or a float (regression)."""
    raw, sources = load_raw_splits(args)
    unknown = set(raw) - set(SPLIT_NAMES)
    if unknown:
        logger.info("Ignoring dataset splits %s (only train/validation/test are used).", sorted(unknown))
    if "train" not in raw:
        raise DataError(
            f"The dataset has no {args.train_split_name!r} split (splits: {list(raw)}). Name it with "
            "--train_split_name, or pass --train_file."
        )
    selected = DatasetDict()
    for split in SPLIT_NAMES:
        if split in raw:
            selected[split] = select_columns(raw[split], args, sources[split])
            if len(selected[split]) == 0:
                raise DataError(f"The {split} split ({sources[split]}) is empty. Give a file with examples.")
    problem_type = args.problem_type or infer_problem_type(selected["train"].features["label"], args.label_delimiter)
    how = (
        "--problem_type" if args.problem_type else "inferred from the training split's labels; --problem_type sets it"
    )
    logger.info("Problem type: %s (%s).", problem_type, how)
    for split in selected:
        selected[split] = label_values(selected[split], problem_type, args.label_delimiter, split, sources[split])
    if problem_type != ProblemType.REGRESSION:
        names = label_names(selected["train"], sources["train"])
        for split in selected:
            selected[split] = encode_labels(selected[split], names, split, sources[split])
    return limit_splits(make_splits(selected, args), args)


def limit_splits(dataset: DatasetDict, args: DataArguments) -> DatasetDict:
    """At most --max_train/eval/predict_samples examples per split, drawn with --split_seed, stratified by class
    when each class can keep an example."""
    limits = {"train": args.max_train_samples, "validation": args.max_eval_samples, "test": args.max_predict_samples}
    for split, limit in limits.items():
        if split not in dataset or limit is None or limit >= len(dataset[split]):
            continue
        stratify = "label" if isinstance(dataset[split].features["label"], ClassLabel) else None
        try:
            part = dataset[split].train_test_split(test_size=limit, seed=args.split_seed, stratify_by_column=stratify)
        except ValueError:  # fewer examples than classes on one side: a plain random draw
            part = dataset[split].train_test_split(test_size=limit, seed=args.split_seed)
        dataset[split] = part["test"]
        logger.info("Using %d of the %s split's examples.", limit, split)
    return dataset


def tokenize(dataset: DatasetDict, tokenizer, max_seq_length: int, windows: Windows | None = None) -> DatasetDict:
    """Tokenize in batches, without padding: DataCollatorWithPadding pads each batch to its own longest text.

    With `windows` (--long_text chunk) each row is one window of a text, with its text's label, the text's row
    (`text_id`, for aggregating its windows' scores) and how many windows the text had (`text_windows`, before the
    --max_chunks cap)."""
    first = next(iter(dataset.values()))
    feature = first.features["label"]
    num_labels = len(feature.feature.names) if is_list(feature) else 0

    def encode(batch, indices):
        rows = range(len(batch["text"]))
        if windows is None:
            pairs = batch["text_pair"] if "text_pair" in batch else None
            encoded = tokenizer(batch["text"], pairs, truncation=True, max_length=max_seq_length)
        else:
            encoded, counts = windows.tokenize(tokenizer, batch["text"], max_seq_length)
            rows = encoded.pop("overflow_to_sample_mapping")
            encoded.update(text_id=[indices[row] for row in rows], text_windows=[counts[row] for row in rows])
        encoded["label"] = [batch["label"][row] for row in rows]
        if num_labels:  # multi-label: one 0/1 float per label, what binary cross-entropy takes
            encoded["label"] = [[float(index in ids) for index in range(num_labels)] for ids in encoded["label"]]
        return encoded

    # A window's row is not its text's: every column is written anew, the label too.
    tokenized = dataset.map(encode, batched=True, with_indices=True, remove_columns=first.column_names)
    # transformers' heads need float targets for BCE; the map loses the ClassLabel, which the labels' names need.
    return tokenized.cast_column("label", datasets.List(datasets.Value("float32")) if num_labels else feature)


def texts_of(dataset: Dataset) -> list:
    """The texts of a split as the tokenizer and `Classifier.predict` take them: strings, or (text, text_pair)."""
    if "text_pair" in dataset.column_names:
        return list(zip(dataset["text"], dataset["text_pair"], strict=True))
    return list(dataset["text"])


def label_texts(dataset: Dataset) -> list[str]:
    """The labels of a split as text, as `Classifier.decide` writes predictions (several: in the labels' order)."""
    feature = dataset.features["label"]
    if isinstance(feature, ClassLabel):
        return feature.int2str(list(dataset["label"]))
    if is_list(feature):
        return ["|".join(feature.feature.int2str(sorted(ids))) for ids in dataset["label"]]  # in decide()'s order
    return [f"{value:.6g}" for value in dataset["label"]]
