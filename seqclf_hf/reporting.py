"""What a finished run writes besides the model (metrics.json, run_args.json, the plots, predict_results.csv) and the
summary it prints."""

import dataclasses
import json
import logging
from pathlib import Path

from .arguments import DataArguments
from .baselines import BASELINES, baseline_metrics
from .data import predict_source, wanted_text_columns
from .diagnostics import COLLAPSE_FIXES, collapse_diagnosis, wilson_interval
from .inference import load_classifier
from .plots import plot_confusion_matrix, plot_regression, plot_training_curve
from .predict import PredictOptions, predict_file, predictions_and_scores
from .run_layout import (
    METRICS_FILE,
    PREDICT_RESULTS_FILE,
    RUN_ARGS_FILE,
    SPLITS,
    TRAINING_CURVE_FILE,
    confusion_matrix_file,
    scatter_file,
)
from .tasks import ProblemType, spec

logger = logging.getLogger(__name__)

SHOWN_CHARACTERS = 100  # of each held-out text the summary prints next to its prediction (a review can fill a screen)


def run_arguments(model_args, data_args, training_args, peft_args, run_args) -> dict:
    """The run's options as JSON (TrainingArguments.to_dict() blanks every token), for the model card.
    `data_in_memory`: what each split that train() was given in memory was (api.InMemoryData), else None."""
    data = dataclasses.asdict(data_args)
    in_memory = data.pop("in_memory", None)
    return {
        "model": dataclasses.asdict(model_args),
        "data": data,
        "data_in_memory": in_memory,
        "training": training_args.to_dict(),
        "peft": dataclasses.asdict(peft_args),
        "run": dataclasses.asdict(run_args),
    }


def recorded(run_args: dict) -> dict:
    """`run_arguments` as run_args.json keeps them: a split given in memory has no file there (the run read a
    temporary copy, deleted after it); `data_in_memory` says what it was."""
    return {**run_args, "data": {**run_args["data"], **dict.fromkeys(run_args.get("data_in_memory") or {})}}


def write_outputs(output_dir: Path, metrics: dict, log_history: list[dict], run_args: dict, predictions: dict) -> None:
    """metrics.json, run_args.json and the plots: the training curve, and per split what its problem type plots (a
    confusion matrix for one label per text, predicted against true values for a regression)."""
    (output_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    (output_dir / RUN_ARGS_FILE).write_text(json.dumps(recorded(run_args), indent=2, default=str) + "\n")
    problem = spec(metrics["problem_type"])
    main_metric = problem.scalar_metrics[0]
    plot_training_curve(log_history, output_dir / TRAINING_CURVE_FILE, main_metric)
    for split in SPLITS[1:]:
        prefix = split.prefix
        title = f"{split.name} {main_metric} {metrics.get(f'{prefix}_{main_metric}', 0):.3f}"
        if problem.plot == "confusion" and f"{prefix}_confusion_matrix" in metrics:
            matrix = metrics[f"{prefix}_confusion_matrix"]
            plot_confusion_matrix(matrix, metrics["labels"], output_dir / confusion_matrix_file(prefix), title)
        elif problem.plot == "scatter" and prefix in predictions:
            prediction = predictions[prefix]
            plot_regression(prediction.label_ids, prediction.predictions, output_dir / scatter_file(prefix), title)


def write_predictions(work_dir: str, arguments: dict) -> None:
    """predict_results.csv for --predict_file or an unlabeled --test_file, from the model as saved."""
    data_args = DataArguments(**arguments["data"])
    source = predict_source(data_args)
    if source:
        classifier = load_classifier(work_dir)
        columns, how = wanted_text_columns(data_args)
        options = PredictOptions(
            columns=columns,
            delimiter=data_args.text_column_delimiter,
            threshold=arguments["run"]["multi_label_threshold"],
            batch_size=arguments["training"]["per_device_eval_batch_size"],
            max_rows=data_args.max_predict_samples,
            how=how,
            encoding=data_args.file_encoding,
        )
        written = predict_file(classifier, source, Path(work_dir) / PREDICT_RESULTS_FILE, options)
        logger.info("Predicted the %d rows of %s: %s", written.rows, source, PREDICT_RESULTS_FILE)


def judge_run(metrics: dict, splits, task, with_baselines: bool) -> dict:
    """What a run's figures are worth: the baselines on the same splits (unless skipped) and whether the model
    collapsed onto one class (a one-line warning here, for every caller; the command's summary shows the block with
    the flags that address it)."""
    judged = baseline_metrics(splits, task.problem_type, task.labels, task.threshold) if with_baselines else {}
    judged.update(collapse_diagnosis({**metrics, **judged}))
    if judged["collapsed"]:
        logger.warning("The model looks collapsed: %s.", "; ".join(judged["collapse_causes"]))
    return judged


def collapse_block(causes: list[str]) -> list[str]:
    """The lines that name a collapsed model, why it looks so, and the flags that address the usual causes."""
    return [
        "THE MODEL LOOKS COLLAPSED (it has not learnt to tell the classes apart):",
        *(f"  - {cause}" for cause in causes),
        "Likely causes, and the flags that address them:",
        *(f"  - {fix}" for fix in COLLAPSE_FIXES),
    ]


def accuracy_interval(metrics: dict, prefix: str) -> str:
    """The 95% Wilson interval of a split's accuracy, as `[low, high]`: how far a small split's figure can move."""
    total = metrics[f"{prefix}_samples"]
    low, high = wilson_interval(metrics[f"{prefix}_accuracy"] * total, total)
    return f"[{low:.3f}, {high:.3f}]"


def summary_table(metrics: dict) -> list[str]:
    """The model's main metrics per split (single-label: validation and test with the accuracy's 95% interval), then
    the baselines'."""
    names = spec(metrics["problem_type"]).scalar_metrics[:2]
    interval = "accuracy" in names
    header = f"{'split':<28} {'  '.join(f'{name:>10}' for name in names)}"
    lines = [header + ("  accuracy 95% interval" if interval else "")]
    for split in SPLITS:
        prefix = split.prefix
        if f"{prefix}_{names[0]}" not in metrics:
            continue
        values = "  ".join(f"{metrics[f'{prefix}_{metric}']:>10.4f}" for metric in names)
        held_out = interval and split.name != "train"  # the train split's accuracy says nothing of the noise
        lines.append(f"{split.name:<28} {values}" + (f"  {accuracy_interval(metrics, prefix)}" if held_out else ""))
    for baseline in BASELINES:
        for split in SPLITS[1:]:
            keys = [f"baseline_{baseline}_{split.prefix}_{metric}" for metric in names]
            if keys[0] in metrics:
                values = "  ".join(f"{metrics[key]:>10.4f}" for key in keys)
                lines.append(f"{f'{split.name}, {BASELINES[baseline]}':<28} {values}")
    return lines


def print_summary(output_dir: str, metrics: dict, texts: list, labels: list[str], threshold: float = 0.5) -> None:
    """The problem type's main metrics per split, a few predictions of the saved model, and where it is.

    `labels` are the texts' true labels (as text), shown next to the predictions so a wrong one stands out.
    """
    print("\n" + "\n".join(summary_table(metrics)))
    if metrics.get("collapsed"):
        print("\n" + "\n".join(collapse_block(metrics["collapse_causes"])))
    predictions = predictions_and_scores(load_classifier(output_dir), texts, threshold)
    regression = metrics["problem_type"] == ProblemType.REGRESSION
    print("\nPredictions of the saved model on held-out texts:")
    print(f"  {'predicted':<12} {'true':<6} {'right':<5}  text")
    for text, label, (predicted, score) in zip(texts, labels, predictions, strict=True):
        # A number is never exactly right: its error instead.
        right = f"±{abs(score - float(label)):.2f}" if regression else "yes" if predicted == label else "no"
        shown = text if isinstance(text, str) else " | ".join(text)  # a text pair
        shown = shown if len(shown) <= SHOWN_CHARACTERS else shown[: SHOWN_CHARACTERS - 1] + "…"
        print(f"  {predicted or '-':<6} {score:.2f}  {label or '-':<6} {right:<5}  {shown}")
    print(f"\nModel, tokenizer, code, {METRICS_FILE} and plots saved to {Path(output_dir).resolve()}")
