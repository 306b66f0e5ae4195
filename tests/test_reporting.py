"""The run's verdict and summary: baselines beside the model, a collapsed model named, small splits' intervals."""

import logging

import pytest
from datasets import ClassLabel, Dataset, DatasetDict

from seqclf_hf.diagnostics import wilson_interval
from seqclf_hf.reporting import collapse_block, judge_run, summary_table
from seqclf_hf.trainer import Task

LABELS = ["neg", "pos"]
SINGLE = "single_label_classification"


def splits() -> DatasetDict:
    def split(count):
        texts = [f"a {'good' if i % 4 else 'bad'} film {i}" for i in range(count)]
        labels = [1 if i % 4 else 0 for i in range(count)]
        return Dataset.from_dict({"text": texts, "label": labels}).cast_column("label", ClassLabel(names=LABELS))

    return DatasetDict(train=split(40), validation=split(8))


def model_metrics(confusion: list[list[int]]) -> dict:
    """A single-label model's validation metrics, as metrics.json has them, for a confusion matrix."""
    correct, total = confusion[0][0] + confusion[1][1], sum(map(sum, confusion))
    f1s = []
    for label in range(2):
        predicted, true = confusion[0][label] + confusion[1][label], sum(confusion[label])
        hits = confusion[label][label]
        f1s.append(2 * hits / (predicted + true) if hits else 0.0)
    return {
        "problem_type": SINGLE,
        "labels": LABELS,
        "eval_samples": total,
        "eval_accuracy": correct / total,
        "eval_macro_f1": sum(f1s) / 2,
        "eval_confusion_matrix": confusion,
    }


def test_a_model_answering_one_class_is_named_collapsed_with_its_fixes(caplog):
    metrics = model_metrics([[0, 2], [0, 6]])  # every text "pos"
    with caplog.at_level(logging.WARNING):
        judged = judge_run(metrics, splits(), Task(SINGLE, LABELS), with_baselines=True)
    assert judged["collapsed"] is True
    assert judged["collapse_causes"][0] == "validation: it predicts one class for every text of a split that has 2"
    assert "does not beat always answering the majority class" in judged["collapse_causes"][1]
    assert f"The model looks collapsed: {judged['collapse_causes'][0]}; " in caplog.text  # one line, every caller
    block = "\n".join(collapse_block(judged["collapse_causes"]))  # what the command's summary prints
    assert block.startswith("THE MODEL LOOKS COLLAPSED") and "--class_weights auto" in block
    assert "--max_seq_length auto" in block and "--learning_rate" in block


def test_a_model_that_uses_the_classes_is_not_collapsed_and_gets_its_baselines():
    judged = judge_run(model_metrics([[2, 0], [1, 5]]), splits(), Task(SINGLE, LABELS), with_baselines=True)
    assert judged["collapsed"] is False and judged["collapse_causes"] == []
    assert judged["baseline_majority_eval_accuracy"] == pytest.approx(0.75)
    assert judged["baseline_tfidf_eval_accuracy"] == 1.0


def test_baselines_false_skips_them():
    judged = judge_run(model_metrics([[2, 0], [1, 5]]), splits(), Task(SINGLE, LABELS), with_baselines=False)
    assert not [key for key in judged if key.startswith("baseline_")]


def test_the_summary_shows_the_accuracy_interval_and_a_row_per_baseline():
    metrics = model_metrics([[2, 0], [1, 5]])
    metrics.update({"baseline_majority_eval_accuracy": 0.75, "baseline_majority_eval_macro_f1": 0.4286})
    low, high = wilson_interval(7, 8)
    header, validation, majority = summary_table(metrics)
    assert header.split() == ["split", "accuracy", "macro_f1", "accuracy", "95%", "interval"]
    assert validation.split() == [
        "validation",
        "0.8750",
        f"{metrics['eval_macro_f1']:.4f}",
        f"[{low:.3f},",
        f"{high:.3f}]",
    ]
    assert majority.split() == ["validation,", "majority", "class", "0.7500", "0.4286"]
