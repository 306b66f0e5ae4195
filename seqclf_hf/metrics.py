"""Classification metrics as an `evaluate.Metric` that is defined here, so it works with no network.

`evaluate.load("accuracy")` downloads the metric's script from the Hub; instantiating this class downloads nothing.
"""

import datasets
import evaluate
import numpy as np

_DESCRIPTION = "Accuracy, macro-F1, per-class precision/recall/F1/support and the confusion matrix."
_INPUTS = """
Args:
    predictions (`list[int]`): predicted class ids.
    references (`list[int]`): true class ids.
    label_names (`list[str]`, *optional*): name of each class id; defaults to the ids as strings.
Returns:
    accuracy, macro_f1, per_class ({name: {precision, recall, f1, support}}), confusion_matrix (rows: true class).
"""


class ClassificationReport(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_INPUTS,
            features=datasets.Features(
                {"predictions": datasets.Value("int64"), "references": datasets.Value("int64")}
            ),
        )

    def _compute(self, predictions, references, label_names=None):
        predictions, references = np.asarray(predictions), np.asarray(references)
        num_classes = len(label_names) if label_names else int(max(predictions.max(), references.max())) + 1
        names = list(label_names) if label_names else [str(i) for i in range(num_classes)]
        confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
        np.add.at(confusion, (references, predictions), 1)
        true_positives = np.diag(confusion).astype(float)
        predicted, support = confusion.sum(0), confusion.sum(1)
        # A class never predicted (or absent) has precision (recall) 0 rather than NaN, as scikit-learn reports it.
        precision = np.divide(true_positives, predicted, out=np.zeros(num_classes), where=predicted > 0)
        recall = np.divide(true_positives, support, out=np.zeros(num_classes), where=support > 0)
        both = precision + recall
        f1 = np.divide(2 * precision * recall, both, out=np.zeros(num_classes), where=both > 0)
        per_class = {
            name: {"precision": p, "recall": r, "f1": f, "support": int(s)}
            for name, p, r, f, s in zip(names, precision.tolist(), recall.tolist(), f1.tolist(), support, strict=True)
        }
        return {
            "accuracy": float(true_positives.sum() / max(len(references), 1)),
            "macro_f1": float(f1.mean()),
            "per_class": per_class,
            "confusion_matrix": confusion.tolist(),
        }


def trainer_metrics(label_names: list[str]):
    """`compute_metrics` for `Trainer`: the scalar metrics it logs and picks the best checkpoint by."""
    metric = ClassificationReport()

    def compute_metrics(eval_prediction) -> dict[str, float]:
        predictions = np.argmax(eval_prediction.predictions, axis=-1)
        report = metric.compute(predictions=predictions, references=eval_prediction.label_ids, label_names=label_names)
        return {"accuracy": report["accuracy"], "macro_f1": report["macro_f1"]}

    return compute_metrics
