"""One pass over every option of a run, before anything is downloaded, written or deleted.

Each rule here needs only the options (checks that need the data live in `data.py`, the embedding size check needs
the vectors and lives in `build.py`); each failure is a `UserInputError` naming the option and the fix.
"""

import dataclasses
import importlib.util
import logging
from pathlib import Path

import torch
from huggingface_hub.errors import StrictDataclassError
from transformers import TrainingArguments
from transformers.integrations import INTEGRATION_TO_CALLBACK

from .arguments import AUTO_LENGTH, DataArguments, DistillArguments, ModelArguments, PeftArguments, RunArguments
from .errors import ConfigError, DataError, ModelSetupError
from .hub import check_push_settings
from .models import CUSTOM_FAMILIES, PRETRAINED_FAMILY
from .tasks import spec

logger = logging.getLogger(__name__)

# The packages each tracker of the `tracking` extra can work with (TensorBoard: either writer).
TRACKER_PACKAGES = {"tensorboard": ("tensorboard", "tensorboardX"), "trackio": ("trackio",)}
# Metrics for which a smaller value is better: metric_for_best_model needs greater_is_better False for them.
LOWER_IS_BETTER = ("loss", "mse", "mae")


def validate_options(
    model_args: ModelArguments,
    data_args: DataArguments,
    training_args: TrainingArguments,
    run_args: RunArguments,
    peft_args: PeftArguments,
) -> None:
    check_training_numbers(training_args)
    check_devices(training_args)
    check_sampling(data_args.length_buckets, training_args)
    check_data_sources(data_args)
    check_long_text(data_args)
    check_tokenizer_options(model_args)
    check_embedding_options(model_args)
    check_architecture(model_args, None if data_args.max_seq_length == AUTO_LENGTH else data_args.max_seq_length)
    check_peft(peft_args, model_args.model_family)
    check_push_settings(training_args)
    check_trackers(training_args.report_to)
    if run_args.max_train_eval_samples < 0:
        raise ConfigError("--max_train_eval_samples must be 0 (skip) or more.")
    if run_args.min_train_steps < 0:
        raise ConfigError(
            f"--min_train_steps must be 0 (the epochs as given) or more, got {run_args.min_train_steps}."
        )
    parse_class_weights(run_args.class_weights)
    check_early_stopping(run_args, training_args)
    check_distillation(run_args)
    if not 0 < run_args.multi_label_threshold < 1:
        raise ConfigError(
            f"--multi_label_threshold must be between 0 and 1 (exclusive), got {run_args.multi_label_threshold}."
        )


def parse_class_weights(spec: str | None) -> list[float] | None:
    """The weights of `--class_weights w1,w2,...`; None for auto (they need the data) or none given."""
    if not spec or spec == "auto":
        return None
    try:
        weights = [float(weight) for weight in spec.split(",")]
    except ValueError:
        weights = []
    if not weights or any(weight <= 0 for weight in weights):
        raise ConfigError(f"--class_weights {spec!r}: give auto, or one positive number per label, e.g. 1,2.5,1.")
    return weights


def check_early_stopping(run_args: RunArguments, args: TrainingArguments) -> None:
    """transformers' EarlyStoppingCallback asserts or silently does nothing where these fail."""
    if run_args.early_stopping_patience is None:
        return
    if run_args.early_stopping_patience < 1:
        raise ConfigError(f"--early_stopping_patience must be 1 or more, got {run_args.early_stopping_patience}.")
    if args.eval_strategy == "no" or not args.load_best_model_at_end:
        raise ConfigError(
            "--early_stopping_patience watches the validation metric: it needs --eval_strategy epoch (or steps) "
            "and --load_best_model_at_end true."
        )


def check_distillation(args: DistillArguments) -> None:
    """The distillation options; the teachers themselves are loaded and checked against the data by distillation.py.

    --augment and --transfer_file without a teacher are refused: their texts have no label but the teacher's.
    """
    if not 0 <= args.distill_alpha <= 1:
        raise ConfigError(
            f"--distill_alpha weighs the gold-label loss: give a number in [0, 1], got {args.distill_alpha}."
        )
    if args.distill_temperature <= 0:
        raise ConfigError(f"--distill_temperature must be above 0, got {args.distill_temperature}.")
    if args.augment < 0:
        raise ConfigError(f"--augment is a number of copies of each training text: 0 or more, got {args.augment}.")
    if (args.augment or args.transfer_file) and not args.teacher:
        raise ConfigError(
            "--augment and --transfer_file give texts without labels, scored by a teacher: add --teacher PATH, or "
            "drop them."
        )
    if args.transfer_file and not Path(args.transfer_file).is_file():
        raise ConfigError(f"--transfer_file {args.transfer_file!r} does not exist. Give a file of texts.")


def best_metric_settings(args: TrainingArguments, problem_type: str) -> TrainingArguments:
    """`args` with metric_for_best_model a metric `problem_type` produces and greater_is_better in its direction.

    The recipes' default, accuracy, is a single-label metric: for another problem type it becomes that type's main
    metric, said in the log; any other metric the type does not produce is an error.
    """
    if not args.metric_for_best_model:
        return args
    name = args.metric_for_best_model.removeprefix("eval_")
    produced = (*spec(problem_type).scalar_metrics, "loss")
    if name not in produced:
        if name != "accuracy":
            raise ConfigError(
                f"--metric_for_best_model {name} is not a metric of {problem_type}; use one of {', '.join(produced)}."
            )
        name = produced[0]
        logger.info("%s has no accuracy: the best checkpoint is the one with the best %s.", problem_type, name)
    return dataclasses.replace(args, metric_for_best_model=name, greater_is_better=name not in LOWER_IS_BETTER)


def check_training_numbers(args: TrainingArguments) -> None:
    """Values with which the Trainer would train nothing, or fail only after the data and model are built."""
    if args.max_steps == 0 or (args.max_steps < 0 and args.num_train_epochs <= 0):
        raise ConfigError(
            f"--num_train_epochs {args.num_train_epochs} with --max_steps {args.max_steps} trains nothing: give "
            "--num_train_epochs above 0 (or --max_steps above 0)."
        )
    positive = {
        "learning_rate": args.learning_rate,
        "per_device_train_batch_size": args.per_device_train_batch_size,
        "per_device_eval_batch_size": args.per_device_eval_batch_size,
        "gradient_accumulation_steps": args.gradient_accumulation_steps,
    }
    if args.eval_strategy == "steps":
        positive["eval_steps"] = args.eval_steps
    if args.save_strategy == "steps":
        positive["save_steps"] = args.save_steps
    for name, value in positive.items():
        if value is not None and value <= 0:
            raise ConfigError(f"--{name} must be above 0, got {value}.")


def check_trackers(report_to: list[str]) -> None:
    """An unknown tracker, or one without its package, fails in the Trainer with a traceback once training starts."""
    if unknown := [tracker for tracker in report_to if tracker not in INTEGRATION_TO_CALLBACK]:
        raise ConfigError(
            f"--report_to {', '.join(unknown)}: not a tracker the Trainer knows. Give tensorboard and/or trackio "
            f"(pip install 'seqclf-hf[tracking]'), another of {', '.join(INTEGRATION_TO_CALLBACK)}, or none."
        )
    for tracker in report_to:
        packages = TRACKER_PACKAGES.get(tracker, ())
        if packages and not any(importlib.util.find_spec(name) for name in packages):
            raise ConfigError(
                f"--report_to {tracker} needs the {tracker} package: pip install 'seqclf-hf[tracking]' "
                "(or drop --report_to)."
            )


def check_devices(args: TrainingArguments) -> None:
    if args.fp16 and not torch.cuda.is_available():
        raise ConfigError("--fp16 needs a CUDA GPU and none is visible. Drop --fp16 to train in float32 on the CPU.")


def check_sampling(length_buckets: bool, training_args: TrainingArguments) -> None:
    if length_buckets and training_args.train_sampling_strategy != "random":
        raise ConfigError(
            f"--length_buckets orders the batches itself; it cannot be combined with --train_sampling_strategy "
            f"{training_args.train_sampling_strategy}. Drop one of the two."
        )


def check_data_sources(args: DataArguments) -> None:
    given_files = [args.train_file, args.validation_file, args.test_file]
    if any(given_files) and args.dataset_name:
        raise DataError("Give either --dataset_name or --train_file/--validation_file/--test_file, not both.")
    if any(given_files) and not args.train_file:
        raise DataError("--validation_file/--test_file need a --train_file as well.")
    if not 0 < args.validation_split_percentage < 100:
        raise DataError("--validation_split_percentage must be between 1 and 99.")
    if args.max_seq_length != AUTO_LENGTH and args.max_seq_length <= 0:
        raise DataError(f"--max_seq_length must be above 0, got {args.max_seq_length}.")
    for name in ("max_train_samples", "max_eval_samples", "max_predict_samples"):
        if getattr(args, name) is not None and getattr(args, name) <= 0:
            raise DataError(f"--{name} must be above 0, got {getattr(args, name)}.")
    if args.text_column_name and args.text_column_names:
        raise DataError("Give --text_column_name (one column) or --text_column_names (several), not both.")


def check_long_text(args: DataArguments) -> None:
    """--long_text chunk's options: a stride that leaves new tokens in each window, a positive cap, single texts."""
    chunk_options = {"chunk_stride": args.chunk_stride, "max_chunks": args.max_chunks}
    given = [
        name
        for name, value in {**chunk_options, "chunk_aggregation": args.chunk_aggregation}.items()
        if value is not None
    ]
    if args.long_text != "chunk":
        if given:
            raise ConfigError(f"--{given[0]} applies to --long_text chunk; add --long_text chunk or drop it.")
        return
    for name, value in chunk_options.items():
        if value is not None and value < (1 if name == "max_chunks" else 0):
            raise ConfigError(f"--{name} must be {'1' if name == 'max_chunks' else '0'} or more, got {value}.")
    if (
        args.chunk_stride is not None
        and args.max_seq_length != AUTO_LENGTH
        and args.chunk_stride >= args.max_seq_length
    ):
        raise ConfigError(
            f"--chunk_stride {args.chunk_stride} is not below --max_seq_length {args.max_seq_length}: windows "
            "share that many tokens, so give a smaller stride (default: a quarter of the window)."
        )
    columns = [name for name in (args.text_column_names or "").split(",") if name.strip()]
    if len(columns) == 2:
        raise ConfigError(
            "--long_text chunk cuts single texts into windows, not text pairs (--text_column_names a,b): use "
            "--long_text truncate for pairs, or join the columns (three or more names are joined into one text)."
        )


def check_tokenizer_options(args: ModelArguments) -> None:
    if args.model_family == PRETRAINED_FAMILY:
        if args.tokenizer_name or args.train_tokenizer != "none" or args.extend_vocabulary:
            raise ModelSetupError(
                "bert uses its encoder's own tokenizer: drop --tokenizer_name, --train_tokenizer, --extend_vocabulary."
            )
        return
    if args.tokenizer_name and args.train_tokenizer != "none":
        raise ModelSetupError(
            "Give --tokenizer_name or --train_tokenizer, not both (--train_tokenizer none with --tokenizer_name "
            "uses that tokenizer in a recipe that trains one)."
        )
    if args.extend_vocabulary and (not args.pretrained_embeddings or args.train_tokenizer != "word"):
        raise ModelSetupError(
            "--extend_vocabulary adds the words of --pretrained_embeddings to a word tokenizer learnt from the "
            "training split: it needs --pretrained_embeddings and --train_tokenizer word."
        )


def check_embedding_options(args: ModelArguments) -> None:
    if args.model_family == PRETRAINED_FAMILY:
        if args.pretrained_embeddings or args.embedding_mode != "scratch":
            raise ModelSetupError("--pretrained_embeddings / --embedding_mode only apply to non-pretrained families.")
        return
    if args.embedding_mode == "scratch" and args.pretrained_embeddings:
        raise ModelSetupError(
            "--pretrained_embeddings needs --embedding_mode init-only (frozen) or init-fine-tune (trained on)."
        )
    if args.embedding_mode != "scratch" and not args.pretrained_embeddings:
        raise ModelSetupError(
            f"--embedding_mode {args.embedding_mode} needs --pretrained_embeddings: an encoder (Hub id or folder) "
            "or a GloVe/word2vec text file."
        )


def check_architecture(model_args: ModelArguments, max_seq_length: int | None = None) -> None:
    """Build the family's configuration from the options alone: its own checks run, and inputs of up to
    `max_seq_length` tokens must suit it."""
    overrides = model_args.architecture_overrides()
    if model_args.model_family == PRETRAINED_FAMILY:
        if overrides:
            raise ModelSetupError(f"{sorted(overrides)} only apply to non-pretrained families; drop them for bert.")
        return
    encoder_options = ("model_revision", "cache_dir", "trust_remote_code", "ignore_mismatched_sizes")
    given = [name for name in encoder_options if getattr(model_args, name) not in (None, False, "main")]
    if given:
        raise ModelSetupError(f"{given} apply to pretrained encoders (--model_family bert); drop them.")
    if model_args.model_name_or_path:
        raise ModelSetupError(
            f"--model_name_or_path is for the pretrained family (bert); {model_args.model_family} is trained from "
            "scratch."
        )
    config_class, _, implied = CUSTOM_FAMILIES[model_args.model_family]
    unused = [name for name in overrides if name not in config_class.architecture_fields]
    if unused:
        raise ModelSetupError(
            f"{unused} do not apply to {model_args.model_family}; its options are "
            f"{list(config_class.architecture_fields)}."
        )
    try:
        config = config_class(**implied, **overrides)
        if max_seq_length is not None:
            config.check_max_seq_length(max_seq_length)
    except (StrictDataclassError, ValueError) as error:  # negative sizes, heads not dividing, kernels too wide, ...
        # The strict-dataclass wrapper puts the check's own message on a second line: say just that one.
        reason = error.__cause__ if isinstance(error.__cause__, ValueError) else error
        raise ModelSetupError(f"Invalid {model_args.model_family} options: {reason}") from error


def check_peft(args: PeftArguments, family: str) -> None:
    if args.merge_lora and args.peft != "lora":
        raise ConfigError(f"--merge_lora true merges a LoRA adapter; it does not apply to --peft {args.peft}.")
    if args.peft in ("prefix", "prompt") and family != PRETRAINED_FAMILY:
        # Prefix tuning feeds attention past_key_values and prompt tuning inputs_embeds; only bert takes them.
        raise ModelSetupError(
            f"--peft {args.peft} needs a pretrained encoder (--model_family bert); for {family} use "
            "--peft lora or --peft head."
        )
