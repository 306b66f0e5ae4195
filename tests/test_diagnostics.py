"""Length statistics, --max_seq_length auto, the collapsed-model check and Wilson intervals, on known numbers."""

import pytest

from seqclf_hf.diagnostics import (
    auto_length,
    collapse_causes,
    imbalance_warning,
    length_summary,
    truncation_warning,
    wilson_interval,
)


def test_length_summary_counts_the_texts_over_the_limit():
    summary = length_summary([5, 10, 20, 40, 80], max_seq_length=20)
    assert summary["train_tokens_median"] == 20
    assert summary["train_tokens_max"] == 80
    assert summary["train_texts_truncated"] == 2  # 40 and 80; 20 fits exactly
    assert summary["train_tokens_p95"] == pytest.approx(72.0)  # numpy's linear interpolation between 40 and 80


def test_auto_length_is_the_95th_percentile_within_the_models_limit():
    lengths = list(range(1, 101))  # 95th percentile: 95.05
    assert auto_length(lengths, model_limit=512) == 96
    assert auto_length(lengths, model_limit=64) == 64


def test_truncation_warning_only_above_a_tenth():
    assert truncation_warning(length_summary([10] * 9 + [100], 64), 10, "fix") is None  # 1 of 10: not more than 10%
    message = truncation_warning(length_summary([10] * 8 + [100] * 2, 64), 10, "Try --max_seq_length auto.")
    assert message.startswith("2 of 10 training texts (20%) are longer than --max_seq_length 64 tokens")
    assert message.endswith("Try --max_seq_length auto.")


def test_wilson_interval_matches_the_textbook_values():
    low, high = wilson_interval(8, 10)  # Wilson 1927 / Newcombe 1998: 0.4902 to 0.9433
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))
    assert wilson_interval(0, 20)[0] == 0.0 and wilson_interval(20, 20)[1] == 1.0
    assert wilson_interval(0, 0) == (0.0, 1.0)


def single_label_metrics(confusion, macro_f1, majority_f1):
    return {
        "problem_type": "single_label_classification",
        "eval_confusion_matrix": confusion,
        "eval_macro_f1": macro_f1,
        "baseline_majority_eval_macro_f1": majority_f1,
    }


def test_a_model_that_predicts_one_class_is_named_collapsed():
    causes = collapse_causes(single_label_metrics([[6, 0, 0], [3, 0, 0], [1, 0, 0]], 0.26, 0.26))
    assert causes[0] == "it predicts one class for every text of a split that has 3"
    assert causes[1].startswith("its macro-F1 (0.260) does not beat always answering the majority class (0.260)")


def test_a_model_that_predicts_fewer_than_half_of_the_classes_is_named_collapsed():
    """153 news articles of 9 outlets, 10 epochs: the from-scratch recipes answered 2-4 outlets and beat the majority
    class's macro-F1 (0.03) all the same."""
    confusion = [[4, 1, 0, 0, 0], [2, 3, 0, 0, 0], [3, 1, 0, 0, 0], [2, 2, 0, 0, 0], [1, 3, 0, 0, 0]]
    assert collapse_causes(single_label_metrics(confusion, 0.2, 0.07)) == [
        "it predicts only 2 of the 5 classes of the split"
    ]
    confusion[2] = [0, 0, 4, 0, 0]  # 3 of 5: not fewer than half
    assert collapse_causes(single_label_metrics(confusion, 0.4, 0.07)) == []


def test_a_model_that_uses_several_classes_and_beats_the_majority_is_not_collapsed():
    assert collapse_causes(single_label_metrics([[5, 1], [1, 3]], 0.79, 0.375)) == []
    assert collapse_causes({"problem_type": "regression", "eval_mse": 1.0}) == []


def test_imbalance_warning_names_class_weights_from_five_to_one():
    assert imbalance_warning({"a": 40, "b": 9}) is None  # 4.4 to 1
    message = imbalance_warning({"positive": 346, "negative": 141, "neutral": 34})
    assert message.startswith("The training classes are imbalanced: 'positive' has 346 texts, 'neutral' 34.")
    assert "--class_weights auto" in message
