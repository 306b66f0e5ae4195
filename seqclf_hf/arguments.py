"""The recipe's options as dataclasses, parsed by `transformers.HfArgumentParser` next to `TrainingArguments`.

Names follow transformers' example scripts (`run_classification.py`) wherever one exists.
"""

from dataclasses import dataclass, field
from typing import Literal

from .models import FAMILIES

TOKENIZER_TRAINERS = ("none", "word", "wordpiece")
EMBEDDING_MODES = ("scratch", "init-only", "init-fine-tune")


@dataclass
class ModelArguments:
    """Which model to build. Architecture fields left unset take the family's configuration defaults."""

    model_family: Literal[FAMILIES] = field(metadata={"help": f"Model family, one of {', '.join(FAMILIES)}."})
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "bert only: pretrained encoder, a Hub id or a local folder (default: bert-base-uncased)."},
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
    embedding_dim: int | None = field(default=None, metadata={"help": "Token embedding size."})
    hidden_size: int | None = field(default=None, metadata={"help": "manual-rnn, transformer: hidden size."})
    hidden_sizes: list[int] | None = field(default=None, metadata={"help": "rnn/gru/lstm: size of each layer."})
    bidirectional: bool | None = field(default=None, metadata={"help": "rnn/gru/lstm: run both directions."})
    pooling: Literal["last", "mean", "max", "attention", "position"] | None = field(
        default=None,
        metadata={"help": "rnn/gru/lstm: last | mean | max | attention; bow: mean | position (learnt weights)."},
    )
    max_positions: int | None = field(default=None, metadata={"help": "bow: number of position scores."})
    attention_dim: int | None = field(default=None, metadata={"help": "rnn/gru/lstm: attention projection size."})
    dropout: float | None = field(default=None, metadata={"help": "Dropout probability."})
    kernel_sizes: list[int] | None = field(default=None, metadata={"help": "cnn: convolution widths."})
    num_filters: int | None = field(default=None, metadata={"help": "cnn: filters per width."})
    num_layers: int | None = field(default=None, metadata={"help": "transformer: encoder layers."})
    num_heads: int | None = field(default=None, metadata={"help": "transformer: attention heads."})
    intermediate_size: int | None = field(default=None, metadata={"help": "transformer: feed-forward width."})

    def architecture_overrides(self) -> dict:
        """The architecture fields the user set, to pass to the family's configuration."""
        return {name: getattr(self, name) for name in ARCHITECTURE_FIELDS if getattr(self, name) is not None}


ARCHITECTURE_FIELDS = (
    "embedding_dim",
    "hidden_size",
    "hidden_sizes",
    "bidirectional",
    "pooling",
    "attention_dim",
    "max_positions",
    "dropout",
    "kernel_sizes",
    "num_filters",
    "num_layers",
    "num_heads",
    "intermediate_size",
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
    test_file: str | None = field(default=None, metadata={"help": "Local test file (same formats)."})
    text_column_name: str | None = field(default=None, metadata={"help": "Text column (default: 'text')."})
    label_column_name: str | None = field(
        default=None, metadata={"help": "Label column (default: 'label', or TREC's coarse_label / fine_label)."}
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
    max_seq_length: int = field(default=128, metadata={"help": "Longest input in tokens; longer texts are truncated."})
    length_buckets: bool = field(
        default=False,
        metadata={
            "help": "Train on batches of texts of similar length (less padding), the batches in random order: "
            "faster for rnn/gru/lstm. Unlike --train_sampling_strategy group_by_length, no run of steps goes from "
            "long texts to short ones."
        },
    )


@dataclass
class RunArguments:
    """How this run treats an existing output_dir (TrainingArguments has the rest)."""

    overwrite_output_dir: bool = field(
        default=False,
        metadata={"help": "Replace what an earlier run left in output_dir (without it, such a run is refused)."},
    )


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
