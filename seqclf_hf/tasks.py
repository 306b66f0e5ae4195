"""The problem types, and for each one what the toolkit does with it: scores -> decision, metrics, the metrics a
model card reports and the plot of a split.

A new problem type is a `ProblemType` member and a `ProblemTypeSpec` in `SPECS` (the losses of the custom families
are in models/modeling_utils.py, which ships with a saved model and cannot import this module).
"""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

import numpy as np
import torch


class ProblemType(str, Enum):
    """transformers' `config.problem_type` values, so a config.json written here loads anywhere."""

    SINGLE_LABEL = "single_label_classification"
    MULTI_LABEL = "multi_label_classification"
    REGRESSION = "regression"

    def __str__(self) -> str:  # in messages, logs and f-strings: transformers' name, as enum.StrEnum (3.11+) does
        return self.value


@dataclass(frozen=True)
class ProblemTypeSpec:
    """What one problem type means at every step of a run.

    `scores` turns logits into what `pipeline` reports; `decide` turns a (texts, labels) score matrix into the
    prediction as text; `report` computes every metric from numpy logits; `scalar_metrics` are the ones the Trainer
    logs (the first picks the best checkpoint); `card_metrics` are (metrics.json name, model-index type, its config);
    `plot` is what each split gets besides the training curve ("confusion", "scatter" or None).
    """

    scores: Callable[[torch.Tensor], torch.Tensor]
    decide: Callable[[torch.Tensor, list[str], float], list[str]]
    report: Callable[[np.ndarray, np.ndarray, list[str], float], dict]
    scalar_metrics: tuple[str, ...]
    card_metrics: tuple[tuple[str, str, str | None], ...]
    plot: str | None


def best_label(scores: torch.Tensor, labels: list[str], threshold: float) -> list[str]:
    return [labels[index] for index in scores.argmax(-1).tolist()]


def labels_above(scores: torch.Tensor, labels: list[str], threshold: float) -> list[str]:
    """The labels scored above `threshold`, joined by "|" in the labels' order; "" when none is."""
    rows = [zip(labels, row, strict=True) for row in scores.tolist()]
    return ["|".join(label for label, score in row if score > threshold) for row in rows]


def value(scores: torch.Tensor, labels: list[str], threshold: float) -> list[str]:
    return [f"{number:.6g}" for number in scores[:, 0].tolist()]


def single_label_report(logits, references, labels, threshold) -> dict:
    from .metrics import ClassificationReport  # evaluate is slow to import, and serving never scores

    return ClassificationReport().compute(predictions=logits.argmax(-1), references=references, label_names=labels)


def multi_label_report(logits, references, labels, threshold) -> dict:
    from .metrics import MultiLabelReport

    predicted = (1 / (1 + np.exp(-logits)) > threshold).astype(np.int64)
    return MultiLabelReport().compute(
        predictions=predicted, references=references.astype(np.int64), label_names=labels
    )


def regression_report(logits, references, labels, threshold) -> dict:
    from .metrics import RegressionReport

    return RegressionReport().compute(predictions=logits.reshape(-1), references=references.reshape(-1))


SPECS = {
    ProblemType.SINGLE_LABEL: ProblemTypeSpec(
        scores=lambda logits: logits.softmax(dim=-1),
        decide=best_label,
        report=single_label_report,
        scalar_metrics=("accuracy", "macro_f1"),
        card_metrics=(("accuracy", "accuracy", None), ("macro_f1", "f1", "macro")),
        plot="confusion",
    ),
    ProblemType.MULTI_LABEL: ProblemTypeSpec(
        scores=torch.sigmoid,
        decide=labels_above,
        report=multi_label_report,
        scalar_metrics=("micro_f1", "macro_f1", "subset_accuracy"),
        card_metrics=(
            ("micro_f1", "f1", "micro"),
            ("macro_f1", "f1", "macro"),
            ("subset_accuracy", "accuracy", "subset"),
        ),
        plot=None,  # several labels per text have no confusion matrix
    ),
    ProblemType.REGRESSION: ProblemTypeSpec(
        scores=lambda logits: logits,
        decide=value,
        report=regression_report,
        scalar_metrics=("mse", "mae", "pearson", "spearman"),
        card_metrics=(
            ("mse", "mse", None),
            ("mae", "mae", None),
            ("pearson", "pearsonr", None),
            ("spearman", "spearmanr", None),
        ),
        plot="scatter",
    ),
}
PROBLEM_TYPES = tuple(kind.value for kind in ProblemType)


def spec(problem_type: str | None) -> ProblemTypeSpec:
    """The spec of a problem type; None (runs and models saved before problem types) is one label per text."""
    return SPECS[ProblemType(problem_type or ProblemType.SINGLE_LABEL)]
