"""The majority and TF-IDF baselines, for every problem type, scored with the network's own metrics."""

import datasets
import pytest
from datasets import ClassLabel, Dataset, DatasetDict

from seqclf_hf.baselines import baseline_metrics

WORDS = {"pos": ("good", "great", "fine", "lovely"), "neg": ("bad", "awful", "poor", "dreadful")}


def sentiment_rows(count: int, positive_share: float) -> tuple[list[str], list[int]]:
    texts, labels = [], []
    for index in range(count):
        label = 0 if index < positive_share * count else 1
        words = WORDS["pos" if label == 0 else "neg"]
        texts.append(f"the film was {words[index % 4]} and {words[(index + 1) % 4]}")
        labels.append(label)
    return texts, labels


def single_label_splits() -> DatasetDict:
    def split(count):
        texts, labels = sentiment_rows(count, positive_share=0.75)
        return Dataset.from_dict({"text": texts, "label": labels}).cast_column(
            "label", ClassLabel(names=["pos", "neg"])
        )

    return DatasetDict(train=split(40), validation=split(12), test=split(8))


def test_single_label_baselines_majority_and_tfidf():
    metrics = baseline_metrics(single_label_splits(), "single_label_classification", ["pos", "neg"])
    # 9 of 12 validation texts are positive: always answering "pos" is right 75% of the time, F1 (6/7 + 0) / 2.
    assert metrics["baseline_majority_eval_accuracy"] == pytest.approx(0.75)
    assert metrics["baseline_majority_eval_macro_f1"] == pytest.approx(6 / 7 / 2)
    assert metrics["baseline_tfidf_eval_accuracy"] == 1.0  # the words give the class away
    assert metrics["baseline_tfidf_test_macro_f1"] == 1.0
    assert set(metrics) == {
        f"baseline_{name}_{prefix}_{metric}"
        for name in ("majority", "tfidf")
        for prefix in ("eval", "test")
        for metric in ("accuracy", "macro_f1")
    }


def test_multi_label_baselines_one_model_per_label():
    texts, labels = sentiment_rows(40, positive_share=0.5)
    label_sets = [[label] if index % 5 else [0, 1] for index, label in enumerate(labels)]
    feature = datasets.List(ClassLabel(names=["pos", "neg"]))
    train = Dataset.from_dict({"text": texts, "label": label_sets}).cast_column("label", feature)
    metrics = baseline_metrics(
        DatasetDict(train=train, validation=train), "multi_label_classification", ["pos", "neg"]
    )
    assert metrics["baseline_tfidf_eval_micro_f1"] > metrics["baseline_majority_eval_micro_f1"]
    assert set(metrics) >= {"baseline_majority_eval_subset_accuracy", "baseline_tfidf_eval_macro_f1"}


def test_regression_baselines_mean_and_ridge():
    texts, labels = sentiment_rows(40, positive_share=0.5)
    values = [4.0 if label == 0 else 1.0 for label in labels]
    train = Dataset.from_dict({"text": texts, "label": values})
    metrics = baseline_metrics(DatasetDict(train=train, validation=train), "regression", ["label"])
    assert metrics["baseline_majority_eval_mse"] == pytest.approx(2.25)  # every value 1.5 from the mean 2.5
    assert metrics["baseline_tfidf_eval_mse"] < 0.5
