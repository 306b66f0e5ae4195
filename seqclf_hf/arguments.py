"""The recipe's options as dataclasses, parsed by `transformers.HfArgumentParser` next to `TrainingArguments`.

Names follow transformers' example scripts (`run_classification.py`) wherever one exists.
"""

import re
import types
import typing
from dataclasses import dataclass, field, fields, make_dataclass
from typing import Literal

from .errors import ConfigError
from .models import CUSTOM_FAMILIES, FAMILIES
from .tasks import PROBLEM_TYPES

TOKENIZER_TRAINERS = ("none", "word", "wordpiece")
EMBEDDING_MODES = ("scratch", "init-only", "init-fine-tune")
AUTO_LENGTH = "auto"  # --max_seq_length auto


@dataclass
class ModelOptions:
    """Which model to build; `ModelArguments` adds the architecture fields, which unset take the family's defaults."""

    model_family: Literal[FAMILIES] = field(metadata={"help": f"Model family, one of {', '.join(FAMILIES)}."})
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "bert only: pretrained encoder, a Hub id or a local folder (default: bert-base-uncased)."},
    )
    model_revision: str = field(default="main", metadata={"help": "bert: Hub branch, tag or commit."})
    cache_dir: str | None = field(default=None, metadata={"help": "bert: download cache (default: the Hub's)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "bert: run an encoder repo's own code."})
    ignore_mismatched_sizes: bool = field(
        default=False,
        metadata={"help": "bert: replace a head of other labels."},
    )
    tokenizer_name: str | None = field(
        default=None,
        metadata={"help": "Non-pretrained families: tokenizer Hub id or folder (default: bert-base-uncased)."},
    )
    train_tokenizer: Literal[TOKENIZER_TRAINERS] = field(
        default="none",
        metadata={
            "help": "Non-pretrained families: train a word or wordpiece tokenizer on the training split; none "
            "(to override a recipe that trains one) uses --tokenizer_name."
        },
    )
    tokenizer_vocab_size: int = field(
        default=20000, metadata={"help": "Largest vocabulary a trained tokenizer keeps."}
    )
    pretrained_embeddings: str | None = field(
        default=None,
        metadata={
            "help": "Non-pretrained families: initialise the token embeddings from a pretrained encoder's input "
            "embeddings (Hub id or folder) or a GloVe/word2vec text file; needs --embedding_mode."
        },
    )
    embedding_mode: Literal[EMBEDDING_MODES] = field(
        default="scratch",
        metadata={
            "help": "scratch (random embeddings) | init-only (pretrained, frozen) | init-fine-tune (pretrained, "
            "trained further)."
        },
    )
    extend_vocabulary: bool = field(
        default=False,
        metadata={
            "help": "With --train_tokenizer word: add the words --pretrained_embeddings has vectors for to the "
            "vocabulary learnt from the training split (up to --tokenizer_vocab_size in all), so a word never seen "
            "in training keeps its pretrained vector instead of becoming [UNK]."
        },
    )

    def architecture_overrides(self) -> dict:
        """The architecture fields the user set, to pass to the family's configuration."""
        return {name: getattr(self, name) for name in ARCHITECTURE_FIELDS if getattr(self, name) is not None}


def families_by_config() -> dict[type, str]:
    """Each custom family's configuration class and the --model_family names that build it ("rnn/gru/lstm")."""
    names = {}
    for family, (config_class, _, _) in CUSTOM_FAMILIES.items():
        names[config_class] = f"{names[config_class]}/{family}" if config_class in names else family
    return names


def option_type(config_class, name: str):
    """The command-line type of a configuration field: `list[int] | tuple[int, ...]` -> list[int], `float | int` ->
    float (the first of a union), else the annotation itself; optional, since unset means the family's default."""
    annotation = config_class.__annotations__[name]
    arguments = typing.get_args(annotation)
    return (arguments[0] if isinstance(annotation, types.UnionType) else annotation) | None


def option_help(config_class, name: str) -> str:
    """The field's entry in the configuration's docstring, on one line."""
    # `name (`type`, ...):` under Args:, then its description, indented 4 more.
    pattern = rf"^( +){name} \(`.*\n((?:\1    .*\n?)+)"
    entry = re.search(pattern, config_class.__doc__, flags=re.MULTILINE)
    return " ".join(entry.group(2).split()).rstrip(".") if entry else ""


def architecture_options() -> list[tuple]:
    """(name, type, field) for every architecture field any family declares, with help naming the families."""
    owners = families_by_config()
    names = dict.fromkeys(name for config_class in owners for name in config_class.architecture_fields)
    options = []
    for name in names:
        classes = [config_class for config_class in owners if name in config_class.architecture_fields]
        described = "; ".join(f"{owners[config_class]}: {option_help(config_class, name)}" for config_class in classes)
        options.append((name, option_type(classes[0], name), field(default=None, metadata={"help": described})))
    return options


# class ModelArguments(ModelOptions): the model options, built here by make_dataclass from the fields of ModelOptions
# plus every family's architecture fields, each read from its configuration class (its `architecture_fields`, default
# and docstring line), so adding a family needs no change here.
ModelArguments = make_dataclass("ModelArguments", architecture_options(), bases=(ModelOptions,))
ARCHITECTURE_FIELDS = tuple(
    field.name for field in fields(ModelArguments) if field.name not in ModelOptions.__dataclass_fields__
)


@dataclass
class DataArguments:
    """Where the data comes from and how it is split and tokenized."""

    dataset_name: str | None = field(
        default=None,
        metadata={"help": "Hub dataset id, or 'sample' for the questions shipped with seqclf_hf (default: TREC)."},
    )
    dataset_config_name: str | None = field(default=None, metadata={"help": "Hub dataset configuration."})
    train_file: str | None = field(
        default=None, metadata={"help": "Local .csv, .json, .jsonl, .parquet or TREC .label."}
    )
    file_encoding: str = field(
        default="utf-8",
        metadata={"help": "Text encoding of the local .csv, .json, .jsonl and .label files, e.g. latin-1 or cp1252."},
    )
    validation_file: str | None = field(default=None, metadata={"help": "Local validation file (same formats)."})
    test_file: str | None = field(
        default=None, metadata={"help": "Local test file; without labels, predicted not scored."}
    )
    predict_file: str | None = field(
        default=None, metadata={"help": "Predict this file after training: predict_results.csv."}
    )
    text_column_name: str | None = field(default=None, metadata={"help": "Text column (default: 'text')."})
    text_column_names: str | None = field(
        default=None, metadata={"help": "Text columns a,b: a text pair; more are joined."}
    )
    text_column_delimiter: str = field(default=" ", metadata={"help": "Joins 3+ text columns (default: a space)."})
    label_column_name: str | None = field(
        default=None, metadata={"help": "Label column (default: 'label', or TREC's coarse_label / fine_label)."}
    )
    problem_type: Literal[PROBLEM_TYPES] | None = field(
        default=None,
        metadata={"help": "Default: inferred (lists: multi-label; floats: regression)."},
    )
    label_delimiter: str | None = field(
        default=None,
        metadata={"help": "Multi-label CSV: the labels' separator, e.g. '|'."},
    )
    label_granularity: Literal["coarse", "fine"] = field(
        default="coarse", metadata={"help": "TREC: coarse (6 classes) or fine (50) labels."}
    )
    validation_split_percentage: int = field(
        default=10, metadata={"help": "Without a validation split: percent of train carved out, stratified."}
    )
    split_seed: int = field(
        default=42,
        metadata={
            "help": "Seed of the carved splits, apart from --seed: every training seed is scored on the same dev "
            "questions, and the dev split never moves when you change a training seed."
        },
    )
    notebook_split: bool = field(
        default=False,
        metadata={"help": "Ignore the dataset's splits and re-split all of train 80/10/10, as the course notebooks."},
    )
    train_split_name: str = field(default="train", metadata={"help": "Hub dataset: its training split."})
    validation_split_name: str = field(default="validation", metadata={"help": "Hub: its validation split."})
    test_split_name: str = field(default="test", metadata={"help": "Hub dataset: its test split."})
    # Stratified by class where there are classes (data.limit_splits).
    max_train_samples: int | None = field(default=None, metadata={"help": "Quick runs: at most N train examples."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Quick runs: at most N validation examples."})
    max_predict_samples: int | None = field(
        default=None, metadata={"help": "Quick runs: at most N test examples / predictions."}
    )
    # A number, or "auto" until training replaces it by the length it picks (a str field: argparse takes both).
    max_seq_length: str = field(
        default="128",
        metadata={
            "help": "Longest input in tokens; longer texts are truncated (--long_text chunk: windowed). auto: the "
            "95th percentile of the training texts' lengths, within the model's limit (saved with the model)."
        },
    )
    long_text: Literal["truncate", "chunk"] = field(
        default="truncate",
        metadata={
            "help": "Texts longer than --max_seq_length: truncate (read their start) or chunk (windows of "
            "--max_seq_length tokens, each scored; a text's score aggregates its windows). Saved with the model."
        },
    )
    chunk_stride: int | None = field(
        default=None,
        metadata={"help": "chunk: tokens shared by consecutive windows (default: a quarter of --max_seq_length)."},
    )
    max_chunks: int | None = field(
        default=None, metadata={"help": "chunk: at most N windows per text, the first ones (default: every window)."}
    )
    chunk_aggregation: Literal["mean", "max"] | None = field(
        default=None,
        metadata={
            "help": "chunk: a text's logits from its windows': mean (default for one label per text and regression) "
            "or max per output (default for multi-label: a label found in any window)."
        },
    )
    length_buckets: bool = field(
        default=False,
        metadata={
            "help": "Train on batches of texts of similar length (less padding), the batches in random order: "
            "faster for rnn/gru/lstm. Unlike --train_sampling_strategy group_by_length, no run of steps goes from "
            "long texts to short ones."
        },
    )

    def __post_init__(self):
        self.max_seq_length = sequence_length(self.max_seq_length)


def sequence_length(value) -> int | str:
    """--max_seq_length as a number of tokens, or AUTO_LENGTH."""
    if value == AUTO_LENGTH:
        return value
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ConfigError(f"--max_seq_length {value!r}: give a number of tokens, e.g. 128, or auto.") from None


@dataclass
class DistillArguments:
    """Distillation: train the model on a teacher's scores (docs/distillation.md). `RunArguments` holds these options,
    so a run's option set stays five dataclasses; --help lists them in their own section."""

    teacher: str | None = field(
        default=None,
        metadata={
            "help": "Distil from this model: a run's output_dir, an adapter, a merged/ folder, an ONNX export or a "
            "Hub id, with this run's labels; several, comma-separated, average their scores."
        },
    )
    distill_alpha: float = field(
        default=0.5, metadata={"help": "Weight of the gold-label loss, in [0, 1]; the teacher's gets 1 - alpha."}
    )
    distill_temperature: float = field(
        default=2.0, metadata={"help": "Softens both sides' probabilities in the kl loss (above 0)."}
    )
    distill_loss: Literal["kl", "mse"] = field(
        default="kl",
        metadata={"help": "kl (on softened probabilities, x T^2) or mse (on logits, as Tang et al.); single-label."},
    )
    augment: int = field(
        default=0,
        metadata={"help": "With --teacher: N augmented copies of each training text (Tang et al.'s rules, --seed)."},
    )
    transfer_file: str | None = field(
        default=None,
        metadata={
            "help": "With --teacher: unlabeled texts (any format predict reads) the teacher scores for training."
        },
    )


@dataclass
class RunArguments(DistillArguments):
    """How this run treats an existing output_dir and scores the train split (TrainingArguments has the rest)."""

    overwrite_output_dir: bool = field(
        default=False,
        metadata={
            "help": "Replace what an earlier run left in output_dir (without it, such a run is refused). The new run "
            "writes beside it, in <output_dir>.incomplete, and takes its place only once finished."
        },
    )
    max_train_eval_samples: int = field(
        default=1000,
        metadata={
            "help": "After training, score the train split on a random sample of at most this many examples "
            "(0: skip it); scoring all of a large train split again can take longer than training."
        },
    )
    min_train_steps: int = field(
        default=0,
        metadata={
            "help": "Train for at least this many optimizer steps: when the epochs make fewer (a small training "
            "split), more epochs run, and the log says so. The recipes set 500; an explicit --num_train_epochs or "
            "--max_steps is kept as given. 0: the epochs as given."
        },
    )
    multi_label_threshold: float = field(
        default=0.5,
        metadata={"help": "Multi-label decision threshold, in (0, 1)."},
    )
    class_weights: str | None = field(
        default=None,
        metadata={
            "help": "auto (inverse frequency; single-label runs only, others train unweighted) or w1,w2,... in "
            "label order."
        },
    )
    baselines: bool = field(
        default=True,
        metadata={
            "help": "After training, score a majority-class and a TF-IDF + logistic regression (regression: mean and "
            "ridge) baseline on the same splits, for the summary, metrics.json and the model card. false skips them "
            "(huge data)."
        },
    )
    early_stopping_patience: int | None = field(
        default=None,
        metadata={"help": "Stop after N evaluations without improvement."},
    )
    early_stopping_threshold: float = field(default=0.0, metadata={"help": "The least improvement that counts."})


@dataclass
class PeftArguments:
    """Parameter-efficient fine-tuning: train an adapter (and the classifier head) on a frozen model."""

    peft: Literal["none", "lora", "prefix", "prompt", "head"] = field(
        default="none",
        metadata={
            "help": "none (train everything) | lora (any family) | prefix, prompt (bert only) | head (frozen model, "
            "trained classifier)."
        },
    )
    lora_r: int = field(default=8, metadata={"help": "lora: rank of the update matrices."})
    lora_alpha: int = field(default=16, metadata={"help": "lora: scaling; the update is multiplied by alpha / r."})
    lora_dropout: float = field(default=0.1, metadata={"help": "lora: dropout on the adapter's input."})
    lora_target_modules: list[str] | None = field(
        default=None,
        metadata={
            "help": "lora: layer names to adapt, e.g. query value (default: bert, peft's choice for the model type; "
            "other families, every Linear, Embedding and Conv1d layer but the head)."
        },
    )
    num_virtual_tokens: int = field(default=20, metadata={"help": "prefix, prompt: number of virtual tokens."})
    merge_lora: bool = field(
        default=False,
        metadata={"help": "lora: also write output_dir/merged, the adapter merged in: a plain transformers model."},
    )
