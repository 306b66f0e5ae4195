"""Metrics of every problem type as `evaluate.Metric`s defined here, so they work with no network.

`evaluate.load("accuracy")` downloads the metric's script from the Hub; instantiating this class downloads nothing.
"""

import datasets
import evaluate
import numpy as np

from .tasks import ProblemType, spec

_DESCRIPTION = "Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."
_INPUTS = """
Args:
    predictions (`list[int]`): predicted class ids.
    references (`list[int]`): true class ids.
    label_names (`list[str]`, *optional*): name of each class id; defaults to the ids as strings.
Returns:
    accuracy, macro_f1, per_class ({name: {precision, recall, f1, support}}), confusion_matrix (rows: true class).
"""


def metric_info(description: str, inputs: str, feature) -> evaluate.MetricInfo:
    """What `evaluate` needs to know of a metric defined here: `feature` is the type of one prediction / reference."""
    return evaluate.MetricInfo(
        description=description,
        citation="",
        inputs_description=inputs,
        features=datasets.Features({"predictions": feature, "references": feature}),
    )


class ClassificationReport(evaluate.Metric):
    def _info(self):
        return metric_info(_DESCRIPTION, _INPUTS, datasets.Value("int64"))

    def _compute(self, predictions, references, label_names=None):
        predictions, references = np.asarray(predictions), np.asarray(references)
        num_classes = len(label_names) if label_names else int(max(predictions.max(), references.max())) + 1
        names = list(label_names) if label_names else [str(i) for i in range(num_classes)]
        confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
        np.add.at(confusion, (references, predictions), 1)
        true_positives = np.diag(confusion).astype(float)
        per_class, f1 = per_class_scores(true_positives, confusion.sum(0), confusion.sum(1), names)
        return {
            "accuracy": float(true_positives.sum() / max(len(references), 1)),
            "macro_f1": float(f1.mean()),
            "per_class": per_class,
            "confusion_matrix": confusion.tolist(),
        }


def per_class_scores(true_positives, predicted, support, names) -> tuple[dict, np.ndarray]:
    """{name: {precision, recall, f1, support}} and the f1 array; 0 rather than NaN for a class never predicted."""
    size = len(names)
    precision = np.divide(true_positives, predicted, out=np.zeros(size), where=predicted > 0)
    recall = np.divide(true_positives, support, out=np.zeros(size), where=support > 0)
    both = precision + recall
    f1 = np.divide(2 * precision * recall, both, out=np.zeros(size), where=both > 0)
    scores = {
        name: {"precision": p, "recall": r, "f1": f, "support": int(n)}
        for name, p, r, f, n in zip(names, precision.tolist(), recall.tolist(), f1.tolist(), support, strict=True)
    }
    return scores, f1


class MultiLabelReport(evaluate.Metric):
    """Several labels per text: micro- and macro-F1, subset accuracy (every label right), per-label scores."""

    def _info(self):
        return metric_info(
            "Micro- and macro-F1, subset accuracy and per-label precision/recall/F1 of 0/1 label rows.",
            "predictions, references: (texts, labels) 0/1 rows; label_names: one per column.",
            datasets.Sequence(datasets.Value("int64")),
        )

    def _compute(self, predictions, references, label_names=None):
        predictions, references = np.asarray(predictions, dtype=bool), np.asarray(references, dtype=bool)
        names = list(label_names) if label_names else [str(i) for i in range(references.shape[1])]
        true_positives = (predictions & references).sum(0).astype(float)
        predicted, support = predictions.sum(0), references.sum(0)
        per_label, f1 = per_class_scores(true_positives, predicted, support, names)
        all_true_positives, all_predicted, all_support = true_positives.sum(), predicted.sum(), support.sum()
        micro = 2 * all_true_positives / (all_predicted + all_support) if all_predicted + all_support else 0.0
        return {
            "subset_accuracy": float((predictions == references).all(1).mean()),
            "micro_f1": float(micro),
            "macro_f1": float(f1.mean()),
            "per_class": per_label,
        }


def average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, tied values sharing their average rank (as Spearman's correlation needs)."""
    ranks = np.empty(len(values))
    ranks[values.argsort(kind="stable")] = np.arange(1, len(values) + 1)
    _, tie_group = np.unique(values, return_inverse=True)
    return (np.bincount(tie_group, weights=ranks) / np.bincount(tie_group))[tie_group]


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson's correlation; 0 when either side is constant (undefined)."""
    if a.std() == 0 or b.std() == 0:
        return 0.0
    return float(np.corrcoef(a, b)[0, 1])


class RegressionReport(evaluate.Metric):
    """A number per text: mean squared and absolute error, Pearson's and Spearman's correlation."""

    def _info(self):
        return metric_info(
            "MSE, MAE, Pearson and Spearman correlation of predicted and true values.",
            "predictions, references: one float per text.",
            datasets.Value("float64"),
        )

    def _compute(self, predictions, references):
        predictions, references = np.asarray(predictions, dtype=float), np.asarray(references, dtype=float)
        return {
            "mse": float(((predictions - references) ** 2).mean()),
            "mae": float(np.abs(predictions - references).mean()),
            "pearson": pearson(predictions, references),
            "spearman": pearson(average_ranks(predictions), average_ranks(references)),
        }


def trainer_metrics(label_names: list[str], problem_type: str = ProblemType.SINGLE_LABEL, threshold: float = 0.5):
    """`compute_metrics` for `Trainer`: the scalar metrics it logs and picks the best checkpoint by."""
    problem = spec(problem_type)

    def compute_metrics(eval_prediction) -> dict[str, float]:
        scores = problem.report(eval_prediction.predictions, eval_prediction.label_ids, label_names, threshold)
        return {name: scores[name] for name in problem.scalar_metrics}

    return compute_metrics
