"""What a first run on one's own data must say out loud: texts cut by the length limit, a model that predicts one
class, and how much a small split's accuracy can be trusted."""

import math

import numpy as np

from .tasks import ProblemType

LONG_SHARE_WARNING = 0.10  # a fixed length that cuts more than this share of the training texts is warned about
AUTO_LENGTH_PERCENTILE = 95  # --max_seq_length auto: long enough for this share of the training texts
WILSON_Z = 1.96  # a 95% interval
# A largest training class this many times the smallest is warned about, naming --class_weights auto: the weights
# lifted every recipe measured on drug reviews (10 to 1) and none on news outlets (2 to 1). docs/benchmarks.md
IMBALANCE_RATIO = 5
# What most often makes a model answer one class, and the flag that addresses each: the collapse block's advice.
COLLAPSE_FIXES = (
    "imbalanced classes: --class_weights auto weighs each class by its inverse frequency",
    "texts cut short: --max_seq_length auto reads 95% of the training texts whole",
    "a learning rate too low (or too high) to leave the majority class: try 3 times the --learning_rate, or a third",
    "too few steps on small data: more --num_train_epochs (or a higher --min_train_steps)",
)
COLLAPSE_SPLITS = {"eval": "validation", "test": "test"}


def length_summary(lengths: list[int], max_seq_length: int) -> dict:
    """Token lengths of the training texts (median, 95th percentile, max) and how many exceed `max_seq_length`."""
    values = np.asarray(lengths)
    return {
        "train_tokens_median": float(np.median(values)),
        "train_tokens_p95": float(np.percentile(values, AUTO_LENGTH_PERCENTILE)),
        "train_tokens_max": int(values.max()),
        "train_texts_truncated": int((values > max_seq_length).sum()),
        "max_seq_length": max_seq_length,
    }


def auto_length(lengths: list[int], model_limit: int) -> int:
    """The 95th percentile of the training texts' token lengths, within what the model reads."""
    return max(1, min(int(math.ceil(np.percentile(lengths, AUTO_LENGTH_PERCENTILE))), model_limit))


def truncation_warning(summary: dict, total: int, fixes: str) -> str | None:
    """A warning when more than a tenth of the training texts are cut, naming the options that help."""
    cut = summary["train_texts_truncated"]
    if cut <= LONG_SHARE_WARNING * total:
        return None
    return (
        f"{cut} of {total} training texts ({cut / total:.0%}) are longer than --max_seq_length "
        f"{summary['max_seq_length']} tokens and are cut (median {summary['train_tokens_median']:.0f}, 95th "
        f"percentile {summary['train_tokens_p95']:.0f}). {fixes}"
    )


def imbalance_warning(counts: dict[str, int]) -> str | None:
    """A warning when the largest class of the training split has IMBALANCE_RATIO times the texts of the smallest."""
    smallest, largest = min(counts, key=counts.get), max(counts, key=counts.get)
    if counts[largest] < IMBALANCE_RATIO * counts[smallest]:
        return None
    return (
        f"The training classes are imbalanced: {largest!r} has {counts[largest]} texts, {smallest!r} "
        f"{counts[smallest]}. A model can then learn to ignore the small classes: --class_weights auto weighs each "
        "class by the inverse of its frequency."
    )


def wilson_interval(correct: float, total: int, z: float = WILSON_Z) -> tuple[float, float]:
    """The Wilson score interval of a proportion `correct / total` (95% by default): unlike the normal
    approximation it stays inside [0, 1] and is honest for small splits and proportions near 0 or 1."""
    if total == 0:
        return 0.0, 1.0
    share = correct / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def collapse_causes(metrics: dict, prefix: str = "eval") -> list[str]:
    """Why a single-label model looks collapsed on a split, from metrics.json's keys: it predicts one class while the
    split has several, or fewer than half of the split's classes (2 of 9: no better than one class on the others),
    or its macro-F1 does not beat the majority baseline's. Empty when none holds."""
    if metrics.get("problem_type") != ProblemType.SINGLE_LABEL or f"{prefix}_confusion_matrix" not in metrics:
        return []
    confusion = np.asarray(metrics[f"{prefix}_confusion_matrix"])
    causes = []
    predicted_classes, true_classes = int((confusion.sum(0) > 0).sum()), int((confusion.sum(1) > 0).sum())
    if predicted_classes == 1 and true_classes > 1:
        causes.append(f"it predicts one class for every text of a split that has {true_classes}")
    elif predicted_classes < true_classes / 2:
        causes.append(f"it predicts only {predicted_classes} of the {true_classes} classes of the split")
    majority = metrics.get(f"baseline_majority_{prefix}_macro_f1")
    if majority is not None and metrics[f"{prefix}_macro_f1"] <= majority:
        causes.append(
            f"its macro-F1 ({metrics[f'{prefix}_macro_f1']:.3f}) does not beat always answering the majority class "
            f"({majority:.3f})"
        )
    return causes


def collapse_diagnosis(metrics: dict) -> dict:
    """metrics.json's verdict: `collapsed` and its `collapse_causes` on the validation and test splits, each cause
    prefixed with its split."""
    causes = [
        f"{split}: {cause}" for prefix, split in COLLAPSE_SPLITS.items() for cause in collapse_causes(metrics, prefix)
    ]
    return {"collapsed": bool(causes), "collapse_causes": causes}
