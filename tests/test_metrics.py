"""ClassificationReport against hand-computed values and scikit-learn; trainer_metrics' scalars."""

import numpy as np
import pytest
from scipy import stats
from sklearn import metrics as sklearn_metrics
from transformers import EvalPrediction

from seqclf_hf.metrics import ClassificationReport, MultiLabelReport, RegressionReport, trainer_metrics
from seqclf_hf.tasks import spec

# true:  A A A B B C      confusion (rows true, columns predicted):  A [2 1 0]
# pred:  A B A B B B                                                 B [0 2 0]
REFERENCES = [0, 0, 0, 1, 1, 2]  #                                   C [0 1 0]
PREDICTIONS = [0, 1, 0, 1, 1, 1]
NAMES = ["A", "B", "C"]


@pytest.fixture(scope="module")
def report():
    return ClassificationReport().compute(predictions=PREDICTIONS, references=REFERENCES, label_names=NAMES)


def test_accuracy_and_macro_f1(report):
    assert report["accuracy"] == pytest.approx(4 / 6)
    assert report["macro_f1"] == pytest.approx((0.8 + 2 / 3 + 0.0) / 3)


def test_confusion_matrix_rows_are_true_classes(report):
    assert report["confusion_matrix"] == [[2, 1, 0], [0, 2, 0], [0, 1, 0]]


def test_per_class_scores(report):
    assert list(report["per_class"]) == NAMES
    assert report["per_class"]["A"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert report["per_class"]["B"] == pytest.approx({"precision": 0.5, "recall": 1.0, "f1": 2 / 3, "support": 2})


def test_class_never_predicted_scores_zero_not_nan(report):
    assert report["per_class"]["C"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}


def test_class_absent_from_references_has_zero_support_and_recall():
    report = ClassificationReport().compute(predictions=[0, 1, 2], references=[0, 1, 1], label_names=NAMES)
    assert report["per_class"]["C"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 0}
    assert report["confusion_matrix"][1] == [0, 1, 1]


def test_names_default_to_class_ids():
    report = ClassificationReport().compute(predictions=PREDICTIONS, references=REFERENCES)
    assert list(report["per_class"]) == ["0", "1", "2"]
    assert report["confusion_matrix"] == [[2, 1, 0], [0, 2, 0], [0, 1, 0]]


def test_label_names_fix_the_number_of_classes():
    report = ClassificationReport().compute(predictions=[0, 1], references=[0, 1], label_names=NAMES + ["D"])
    assert np.shape(report["confusion_matrix"]) == (4, 4)
    assert report["accuracy"] == 1.0
    assert report["macro_f1"] == pytest.approx(0.5)  # two perfect classes, two empty ones


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    references, predictions = rng.integers(0, 6, 200), rng.integers(0, 5, 200)  # class 5 is never predicted
    labels = list(range(6))
    report = ClassificationReport().compute(
        predictions=predictions, references=references, label_names=[f"c{i}" for i in labels]
    )
    assert report["accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(references, predictions))
    expected_macro = sklearn_metrics.f1_score(references, predictions, average="macro", labels=labels, zero_division=0)
    assert report["macro_f1"] == pytest.approx(expected_macro)
    expected_confusion = sklearn_metrics.confusion_matrix(references, predictions, labels=labels)
    np.testing.assert_array_equal(report["confusion_matrix"], expected_confusion)
    precision, recall, f1, support = sklearn_metrics.precision_recall_fscore_support(
        references, predictions, labels=labels, zero_division=0
    )
    per_class = list(report["per_class"].values())
    np.testing.assert_allclose([scores["precision"] for scores in per_class], precision)
    np.testing.assert_allclose([scores["recall"] for scores in per_class], recall)
    np.testing.assert_allclose([scores["f1"] for scores in per_class], f1)
    assert [scores["support"] for scores in per_class] == support.tolist()


def test_trainer_metrics_returns_only_scalars():
    logits = np.eye(3)[PREDICTIONS] * 5.0  # argmax gives PREDICTIONS
    metrics = trainer_metrics(NAMES)(EvalPrediction(predictions=logits, label_ids=np.array(REFERENCES)))
    assert set(metrics) == {"accuracy", "macro_f1"}
    assert all(isinstance(value, float) for value in metrics.values())
    assert metrics["accuracy"] == pytest.approx(4 / 6)
    assert metrics["macro_f1"] == pytest.approx((0.8 + 2 / 3) / 3)


def test_multi_label_report_against_scikit_learn():
    rng = np.random.default_rng(0)
    references, predictions = rng.integers(0, 2, (50, 4)), rng.integers(0, 2, (50, 4))
    predictions[:, 3] = 0  # a label never predicted
    report = MultiLabelReport().compute(predictions=predictions, references=references, label_names=list("abcd"))
    assert report["micro_f1"] == pytest.approx(sklearn_metrics.f1_score(references, predictions, average="micro"))
    expected_macro = sklearn_metrics.f1_score(references, predictions, average="macro", zero_division=0)
    assert report["macro_f1"] == pytest.approx(expected_macro)
    assert report["subset_accuracy"] == pytest.approx(sklearn_metrics.accuracy_score(references, predictions))
    assert report["per_class"]["d"]["precision"] == 0 and report["per_class"]["a"]["support"] == references[:, 0].sum()


def test_regression_report_against_scikit_learn_and_scipy():
    references = np.array([1.0, 2.0, 2.0, 3.0, 5.0, 4.0])
    predictions = np.array([1.5, 1.5, 2.5, 3.0, 4.0, 4.0])  # ties on both sides
    report = RegressionReport().compute(predictions=predictions, references=references)
    assert report["mse"] == pytest.approx(sklearn_metrics.mean_squared_error(references, predictions))
    assert report["mae"] == pytest.approx(sklearn_metrics.mean_absolute_error(references, predictions))
    assert report["pearson"] == pytest.approx(stats.pearsonr(predictions, references).statistic)
    assert report["spearman"] == pytest.approx(stats.spearmanr(predictions, references).statistic)


@pytest.mark.parametrize(
    ("problem_type", "logits", "references", "expected"),
    [
        ("multi_label_classification", [[2.0, -2.0], [2.0, 2.0]], [[1, 0], [1, 0]], {"subset_accuracy": 0.5}),
        ("regression", [[1.0], [3.0]], [1.0, 2.0], {"mse": 0.5, "mae": 0.5}),
    ],
)
def test_trainer_metrics_follow_the_problem_type(problem_type, logits, references, expected):
    compute = trainer_metrics(["a", "b"], problem_type)
    metrics = compute(EvalPrediction(predictions=np.array(logits), label_ids=np.array(references)))
    assert set(metrics) == set(spec(problem_type).scalar_metrics)
    assert {name: metrics[name] for name in expected} == pytest.approx(expected)
