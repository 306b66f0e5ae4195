"""Share an output_dir on the Hugging Face Hub: a model card built from what the run saved, and a push of exactly
the files a stranger needs (weights as safetensors, config, tokenizer, the model's code, card, metrics, plots)."""

import fnmatch
import json
from pathlib import Path

from huggingface_hub import EvalResult, HfApi, ModelCard, ModelCardData

from .baselines import BASELINES
from .errors import ConfigError, UserInputError
from .inference import load_classifier, load_config
from .run_layout import (
    ADAPTER_CONFIG,
    CONFIG_FILE,
    METRICS_FILE,
    MODEL_CARD_FILE,
    RUN_ARGS_FILE,
    SPLITS,
    TRAINING_CURVE_FILE,
    confusion_matrix_file,
    is_adapter,
    scatter_file,
)
from .tasks import ProblemType, spec

TEMPLATE = Path(__file__).parent / "templates" / "model_card.md"
# Never pushed: checkpoints, pickles (training_args.bin, optimizer state) and hidden files.
EXCLUDED = ("checkpoint-*", "*.bin", "*.pt", "*.pth", "*.pkl", "*.pickle", ".*", "runs")
# A pretrained encoder's size; a custom family's hyperparameters are its configuration's architecture_fields.
ENCODER_HYPERPARAMETERS = ("vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads")
TRAINING_SETTINGS = (
    "num_train_epochs",
    "max_steps",
    "learning_rate",
    "lr_scheduler_type",
    "warmup_steps",
    "weight_decay",
    "per_device_train_batch_size",
    "gradient_accumulation_steps",
    "seed",
)


class PushError(UserInputError):
    """A push that could not happen (network, login, Hub); the output_dir is untouched."""


def read_json(path: Path) -> dict:
    if not path.is_file():
        raise ConfigError(f"{path} is missing: is {path.parent} an output_dir written by recipes/train.py?")
    return json.loads(path.read_text())


def describe_model(config) -> str:
    if hasattr(config, "describe"):
        return config.describe()
    return f"A pretrained `{config.model_type}` encoder fine-tuned for sequence classification."


def hyperparameters(config) -> list[tuple[str, object]]:
    names = (
        ("cell_type", "vocab_size", *config.architecture_fields)
        if hasattr(config, "describe")
        else ENCODER_HYPERPARAMETERS
    )
    return [(name, getattr(config, name)) for name in names if getattr(config, name, None) is not None]


def describe_data(data_args: dict, in_memory: dict | None = None) -> str:
    """Where the data came from; `in_memory`: run_args.json's `data_in_memory` (what train() was given)."""
    if in_memory:
        given = ", ".join(
            f"{split.name}: {in_memory[split.file_option]}" for split in SPLITS if split.file_option in in_memory
        )
        source = f"Data given to `train()` in memory ({given})"
    elif data_args.get("train_file"):
        files = {split.name: data_args.get(split.file_option) for split in SPLITS}
        named = ", ".join(f"{split}: `{Path(name).name}`" for split, name in files.items() if name)
        source = f"Local files ({named})"
    elif data_args.get("dataset_name") == "sample":
        source = "The sample questions shipped with seqclf-hf (written for the project, six TREC classes)"
    else:
        source = f"The `{data_args.get('dataset_name') or 'CogComp/trec'}` dataset"
    if data_args.get("notebook_split"):
        return f"{source}, re-split 80/10/10 (train/validation/test) with a fixed seed."
    return (
        f"{source}; without a validation split, {data_args.get('validation_split_percentage')}% of train was held out."
    )


def problem_type_of(metrics: dict) -> str:
    return metrics.get("problem_type", ProblemType.SINGLE_LABEL.value)  # runs from before problem types had one


def eval_results(metrics: dict, dataset_id: str, dataset_name: str) -> list[EvalResult]:
    """model-index entries: the problem type's metrics of the validation and test splits."""
    results = []
    for split in SPLITS[1:]:
        for metric, metric_type, metric_config in spec(problem_type_of(metrics)).card_metrics:
            key = f"{split.prefix}_{metric}"
            if key in metrics:
                results.append(
                    EvalResult(
                        task_type="text-classification",
                        dataset_type=dataset_id,
                        dataset_name=dataset_name,
                        dataset_split=split.name,
                        metric_type=metric_type,
                        metric_name=f"{split.name} {metric.replace('_', '-')}",
                        metric_config=metric_config,
                        metric_value=metrics[key],
                    )
                )
    return results


def result_rows(metrics: dict, card_metrics, source: str = "") -> list[dict]:
    """A row per scored split: its name, size, card metrics and loss; `source` "teacher_": a distilled model's
    teachers' results, from the metrics training keyed so."""
    return [
        {
            "name": split.name,
            "samples": metrics.get(f"{split.prefix}_samples", "?"),
            "values": [metrics[f"{source}{split.prefix}_{metric}"] for metric, _, _ in card_metrics],
            "loss": f"{metrics[f'{source}{split.prefix}_loss']:.4f}"
            if f"{source}{split.prefix}_loss" in metrics
            else "",
        }
        for split in SPLITS
        if f"{source}{split.prefix}_{card_metrics[0][0]}" in metrics
    ]


def baseline_rows(metrics: dict, metric_names: list[str]) -> list[dict]:
    """The results table's baseline rows: each baseline on the validation and test splits, as metrics.json has them."""
    rows = []
    for name, title in BASELINES.items():
        for split in SPLITS[1:]:
            keys = [f"baseline_{name}_{split.prefix}_{metric}" for metric in metric_names]
            if keys[0] in metrics:
                rows.append({"name": f"{split.name}, {title}", "values": [metrics[key] for key in keys], "loss": ""})
    return rows


def build_model_card(output_dir: str | Path, repo_id: str | None = None) -> ModelCard:
    """The card for an output_dir, from its config.json, metrics.json and run_args.json."""
    output_dir = Path(output_dir)
    adapter = is_adapter(output_dir)
    read_json(output_dir / (ADAPTER_CONFIG if adapter else CONFIG_FILE))  # says so when it is no run's folder
    config = load_config(output_dir)
    metrics = read_json(output_dir / METRICS_FILE)
    run_args = read_json(output_dir / RUN_ARGS_FILE)
    model_args, data_args, training_args = run_args["model"], run_args["data"], run_args["training"]
    repo_id = repo_id or training_args.get("hub_model_id") or output_dir.resolve().name
    own_data = data_args.get("train_file") or run_args.get("data_in_memory")
    dataset_id = data_args.get("dataset_name") or ("custom" if own_data else "CogComp/trec")
    custom_code = hasattr(config, "describe")
    problem_type = problem_type_of(metrics)
    card_metrics = spec(problem_type).card_metrics
    card_data = ModelCardData(
        model_name=repo_id.split("/")[-1],
        library_name="peft" if adapter else "transformers",
        pipeline_tag="text-classification",
        tags=["text-classification", "seqclf-hf", model_args["model_family"]],
        datasets=[dataset_id] if "/" in dataset_id else None,
        metrics=list(dict.fromkeys(metric_type for _, metric_type, _ in card_metrics)),
        base_model=None if custom_code else model_args.get("model_name_or_path"),
        eval_results=eval_results(metrics, dataset_id, dataset_id) or None,
    )
    splits = result_rows(metrics, card_metrics)
    per_class_prefix, per_class_split = ("test", "test") if "test_per_class" in metrics else ("eval", "validation")
    images = [
        (name, caption)
        for name, caption in (
            (confusion_matrix_file("test"), "confusion matrix, test split"),
            (confusion_matrix_file("eval"), "confusion matrix, validation split"),
            (scatter_file("test"), "predicted against true values, test split"),
            (scatter_file("eval"), "predicted against true values, validation split"),
            (TRAINING_CURVE_FILE, "training curve"),
        )
        if (output_dir / name).is_file()
    ]
    return ModelCard.from_template(
        card_data,
        template_path=str(TEMPLATE),
        model_name=repo_id,
        repo_id=repo_id,
        description=describe_model(config),
        labels=metrics["labels"],
        problem_type=problem_type,
        metric_names=[metric.replace("_", "-") for metric, _, _ in card_metrics],
        hyperparameters=hyperparameters(config),
        parameters=metrics["parameters"],
        trainable_parameters=metrics["trainable_parameters"],
        data_description=describe_data(data_args, run_args.get("data_in_memory")),
        splits=splits,
        baselines=baseline_rows(metrics, [metric for metric, _, _ in card_metrics]),
        collapse_causes=metrics.get("collapse_causes", []),
        training_settings=[(name, training_args[name]) for name in TRAINING_SETTINGS if name in training_args],
        best_metric=training_args.get("metric_for_best_model") or "loss",
        per_class_split=per_class_split,
        per_class=list(metrics.get(f"{per_class_prefix}_per_class", {}).items()),
        images=images,
        custom_code=custom_code,
        max_length=data_args.get("max_seq_length"),
        distillation=run_args.get("distillation"),
        teacher_splits=result_rows(metrics, card_metrics, "teacher_"),
    )


def write_model_card(output_dir: str | Path, repo_id: str | None = None) -> Path:
    path = Path(output_dir) / MODEL_CARD_FILE
    build_model_card(output_dir, repo_id).save(path)
    return path


def files_to_push(output_dir: str | Path) -> list[str]:
    """Paths (relative to output_dir) that a push uploads: everything but checkpoints, pickles and hidden files."""
    output_dir = Path(output_dir)
    chosen = []
    for path in sorted(output_dir.rglob("*")):
        relative = path.relative_to(output_dir)
        if path.is_file() and not any(
            fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in EXCLUDED
        ):
            chosen.append(relative.as_posix())
    return chosen


def check_push_settings(training_args) -> None:
    """Before training: a push needs a repo id, must not carry a token on the command line, and must reach the Hub."""
    if training_args.hub_token:
        raise ConfigError(
            "Do not pass --hub_token: it would be saved with the run. Log in with `hf auth login` or set HF_TOKEN."
        )
    if not training_args.push_to_hub:
        return
    if not training_args.hub_model_id:
        raise ConfigError("--push_to_hub needs --hub_model_id your-name/model-name.")
    try:
        HfApi().whoami()
    except Exception as error:  # offline, or not logged in: fail now rather than after training
        raise PushError(
            f"--push_to_hub: the Hub cannot be used ({type(error).__name__}: {error}). Log in with `hf auth login` "
            "or set HF_TOKEN and check the network; or train without --push_to_hub and push the output_dir later "
            "with python -m seqclf_hf.push OUTPUT_DIR REPO_ID."
        ) from error


def push_output_dir(output_dir: str | Path, repo_id: str, private: bool = False) -> str:
    """Create (or reuse) the model repo and upload the output_dir's shareable files. Returns the repo URL.

    The token is the one `hf auth login` stored or `HF_TOKEN` holds; it is never passed around or printed here.
    """
    output_dir = Path(output_dir)
    if not (output_dir / CONFIG_FILE).is_file() and not is_adapter(output_dir):
        raise PushError(f"{output_dir} holds no saved model (no config.json); train one with recipes/train.py first.")
    try:  # what is uploaded must load: the same loader a user of the repo, the Space and pipeline() go through
        load_classifier(output_dir)
    except (OSError, ValueError) as error:
        raise PushError(f"{output_dir} does not load as a model ({error}); nothing was pushed.") from error
    write_model_card(output_dir, repo_id)
    api = HfApi()
    try:
        url = api.create_repo(repo_id, private=private, exist_ok=True, repo_type="model")
        api.upload_folder(
            repo_id=repo_id,
            folder_path=output_dir,
            allow_patterns=files_to_push(output_dir),
            commit_message="Upload model trained with seqclf-hf",
        )
    except Exception as error:  # network, auth and Hub errors alike: say what happened, keep the files
        raise PushError(
            f"Could not push {output_dir} to the Hub repo {repo_id!r}: {type(error).__name__}: {error}\n"
            f"Nothing was lost: the model is still in {output_dir}. Log in with `hf auth login` (or set HF_TOKEN), "
            f"check the network, then run: python -m seqclf_hf.push {output_dir} {repo_id}"
        ) from error
    return str(url)
