"""--long_text chunk (windows.py): windows with a stride and a cap, per-window training, per-text evaluation, and every
loader (Classifier, predict, the Space, ONNX, adapters) windowing a text as training did."""

import csv
import json
import logging

import numpy as np
import pytest
import torch
from datasets import ClassLabel, Dataset, DatasetDict
from tiny_runs import MULTI, REGRESSION, model_args, task_rows, tiny_training, write_jsonl

from seqclf_hf.arguments import DataArguments, PeftArguments
from seqclf_hf.build import train_tokenizer
from seqclf_hf.data import tokenize
from seqclf_hf.errors import DataError, UserInputError
from seqclf_hf.inference import Classifier, load_classifier
from seqclf_hf.models import CUSTOM_FAMILIES
from seqclf_hf.predict import PredictOptions, predict_file
from seqclf_hf.run_layout import LABELS_FILE, LONG_TEXT_KEY
from seqclf_hf.space.presentation import input_notes
from seqclf_hf.training import train
from seqclf_hf.windows import Windows, window_positions, window_summary

WORDS = "one two three four five six seven eight nine ten eleven twelve".split()
WINDOW = 8  # tokens per window: [CLS], 6 words, [SEP]


def long_rows(make_rows, per_class: int) -> list[dict]:
    """TREC-style rows whose texts (three questions each) take several windows of WINDOW tokens."""
    rows = make_rows(per_class)
    return [{**row, "text": f"{row['text']} {row['text']} {row['text']}"} for row in rows]


def chunked_run(tmp_path, make_rows, family="lstm", problem_type=None, tiny_encoder="", peft="none", **data_options):
    """A run trained with --long_text chunk; returns (metrics, output_dir, validation rows)."""
    train_rows, validation_rows = long_rows(make_rows, 4), long_rows(make_rows, 1)
    if problem_type:
        train_rows, validation_rows = task_rows(train_rows, problem_type), task_rows(validation_rows, problem_type)
    data_args = DataArguments(
        train_file=write_jsonl(tmp_path / "train.jsonl", train_rows),
        validation_file=write_jsonl(tmp_path / "validation.jsonl", validation_rows),
        max_seq_length=WINDOW,
        long_text="chunk",
        chunk_stride=2,
        **data_options,
    )
    output_dir = tmp_path / "out"
    training = tiny_training(output_dir)
    metrics, _ = train(model_args(family, tiny_encoder), data_args, training, peft_args=PeftArguments(peft=peft))
    return metrics, output_dir, validation_rows


def test_window_positions_count_each_texts_windows_from_zero():
    assert window_positions([0, 0, 0, 1, 2, 2]) == [0, 1, 2, 0, 0, 1]


def test_aggregate_takes_the_mean_or_the_largest_logit_of_each_texts_windows():
    logits = np.array([[1.0, 4.0], [3.0, 0.0], [5.0, 5.0]], dtype=np.float32)
    owners = [0, 0, 1]
    mean = Windows(stride=0, max_chunks=None, aggregation="mean").aggregate(logits, owners, 2)
    largest = Windows(stride=0, max_chunks=None, aggregation="max").aggregate(logits, owners, 2)
    np.testing.assert_allclose(mean, [[2.0, 2.0], [5.0, 5.0]])
    np.testing.assert_allclose(largest, [[3.0, 4.0], [5.0, 5.0]])


def test_window_summary_counts_long_texts_and_windows_per_text():
    figures = window_summary([1, 3, 5], max_chunks=4, prefix="eval")
    assert figures == {
        "eval_texts_over_one_window": 2,
        "eval_windows_per_text_median": 3.0,
        "eval_windows_per_text_max": 5,
        "eval_texts_over_max_chunks": 1,
    }


@pytest.fixture(scope="module")
def words_tokenizer():
    return train_tokenizer([" ".join(WORDS)], "word", vocab_size=100)


def test_windows_share_the_stride_and_stop_at_the_cap(words_tokenizer):
    windows = Windows(stride=2, max_chunks=2, aggregation="mean")
    encoded, counts = windows.tokenize(words_tokenizer, [" ".join(WORDS), "one two"], WINDOW)
    first, second = (words_tokenizer.convert_ids_to_tokens(ids) for ids in encoded["input_ids"][:2])
    assert first[1:-1] == WORDS[:6] and second[1:-1] == WORDS[4:10]  # 2 tokens shared
    assert counts == [3, 1]  # 12 words: 3 windows of 6 words sharing 2; the cap keeps 2
    assert encoded["overflow_to_sample_mapping"] == [0, 0, 1]


def test_a_stride_that_leaves_no_new_tokens_is_a_data_error(words_tokenizer):
    with pytest.raises(DataError, match="--chunk_stride 6"):
        Windows(stride=6, max_chunks=None, aggregation="mean").tokenize(words_tokenizer, ["one two"], WINDOW)


def test_tokenize_gives_every_window_its_texts_label_and_row(words_tokenizer):
    labels = ClassLabel(names=["A", "B"])
    split = Dataset.from_dict({"text": ["one two", " ".join(WORDS)], "label": [1, 0]}).cast_column("label", labels)
    windows = Windows(stride=2, max_chunks=None, aggregation="mean")
    tokenized = tokenize(DatasetDict(train=split), words_tokenizer, WINDOW, windows)["train"]
    assert tokenized["text_id"] == [0, 1, 1, 1]
    assert tokenized["label"] == [1, 0, 0, 0]
    assert tokenized["text_windows"] == [1, 3, 3, 3]
    assert tokenized.features["label"] == labels  # names kept for the metrics and the class weights


@pytest.mark.parametrize("family", [*CUSTOM_FAMILIES, "bert"])
def test_every_family_trains_on_windows_and_scores_texts(family, tmp_path, make_rows, tiny_encoder, caplog):
    caplog.set_level(logging.INFO)
    metrics, output_dir, validation_rows = chunked_run(tmp_path, make_rows, family, tiny_encoder=tiny_encoder)
    assert metrics["eval_samples"] == len(validation_rows)  # texts, not windows
    assert sum(map(sum, metrics["eval_confusion_matrix"])) == len(validation_rows)
    assert metrics["eval_texts_over_one_window"] == len(validation_rows)
    assert metrics["eval_windows_per_text_max"] >= 2
    assert "texts longer than one window" in caplog.text
    saved = json.loads((output_dir / "config.json").read_text())[LONG_TEXT_KEY]
    assert saved == {"stride": 2, "max_chunks": None, "aggregation": "mean"}
    classifier = load_classifier(output_dir)
    assert classifier.windows == Windows(**saved)


def window_mean_scores(classifier: Classifier, text: str) -> torch.Tensor:
    """The scores of `text` computed by hand: every window through the model, their logits averaged."""
    item = classifier.encode([text])[0]
    windows = [item, *item.more]
    logits = torch.cat([classifier.forward_logits(classifier.tensors([window])) for window in windows])
    return classifier.scores(logits.mean(0, keepdim=True))


@pytest.fixture(scope="module")
def chunked_lstm(tmp_path_factory, make_rows):
    return chunked_run(tmp_path_factory.mktemp("chunked-lstm"), make_rows)


def test_predict_aggregates_every_window_of_a_text(chunked_lstm):
    _, output_dir, validation_rows = chunked_lstm
    classifier = load_classifier(output_dir)
    text = validation_rows[0]["text"]
    assert len(classifier.encode([text])[0].more) >= 1
    by_hand = window_mean_scores(classifier, text)
    torch.testing.assert_close(classifier.probabilities([text]), by_hand)
    first_window_only = classifier.scores(classifier.forward_logits(classifier.tensors(classifier.encode([text]))))
    assert not torch.allclose(by_hand, first_window_only)  # the later windows count


def test_predict_file_and_the_space_window_a_chunked_model(chunked_lstm, tmp_path):
    _, output_dir, validation_rows = chunked_lstm
    classifier = load_classifier(output_dir)
    source = tmp_path / "texts.csv"
    with source.open("w", newline="") as handle:
        csv.writer(handle).writerows([["text"], *([row["text"]] for row in validation_rows)])
    written = predict_file(classifier, str(source), tmp_path / "predicted.csv", PredictOptions())
    assert written.rows == len(validation_rows) and written.truncated == 0  # windowed, not cut
    with (tmp_path / "predicted.csv").open() as handle:
        predicted = [row["prediction"] for row in csv.DictReader(handle)]
    texts = [row["text"] for row in validation_rows]
    assert predicted == classifier.decide(torch.cat([window_mean_scores(classifier, text) for text in texts]))
    notes = input_notes("lstm", classifier, texts[0], len(texts[0]))
    assert any("windows" in note for note in notes) and not any("truncated" in note for note in notes)


def test_an_onnx_export_of_a_chunked_model_windows_too(chunked_lstm, tmp_path):
    pytest.importorskip("onnxruntime")
    from seqclf_hf.export import export_onnx

    _, output_dir, validation_rows = chunked_lstm
    exported = load_classifier(export_onnx(output_dir, tmp_path / "onnx"))
    texts = [row["text"] for row in validation_rows]
    assert exported.windows == load_classifier(output_dir).windows
    torch.testing.assert_close(
        exported.probabilities(texts), load_classifier(output_dir).probabilities(texts), atol=1e-4, rtol=1e-4
    )


def test_a_text_pair_given_to_a_chunked_model_is_a_one_line_error(chunked_lstm):
    with pytest.raises(UserInputError, match="text pair"):
        load_classifier(chunked_lstm[1]).probabilities([("a question", "a topic")])


def test_a_megabyte_text_is_scored_in_batches_of_windows(chunked_lstm):
    """Memory stays bounded: however long the text, one forward pass holds at most `batch_size` windows, and
    --max_chunks caps how many are read."""
    classifier = load_classifier(chunked_lstm[1])
    text = " ".join(WORDS * 20_000)[:1_000_000]  # 1 MB
    seen = []
    forward = classifier.model.forward
    classifier.model.forward = lambda **inputs: seen.append(inputs["input_ids"].shape) or forward(**inputs)
    scores = classifier.probabilities([text], batch_size=64)
    assert scores.shape == (1, len(classifier.labels))
    assert max(shape[0] for shape in seen) <= 64 and max(shape[1] for shape in seen) <= WINDOW
    assert sum(shape[0] for shape in seen) > 10_000  # every window was read
    seen.clear()
    classifier.windows = Windows(stride=2, max_chunks=5, aggregation="mean")
    assert classifier.encode([text])[0].truncated
    classifier.probabilities([text], batch_size=64)
    assert sum(shape[0] for shape in seen) == 5


@pytest.mark.parametrize(("problem_type", "aggregation"), [(MULTI, "max"), (REGRESSION, "mean")])
def test_every_problem_type_trains_chunked_with_its_default_aggregation(
    problem_type, aggregation, tmp_path, make_rows
):
    metrics, output_dir, validation_rows = chunked_run(tmp_path, make_rows, problem_type=problem_type)
    assert metrics["eval_samples"] == len(validation_rows)
    assert json.loads((output_dir / "config.json").read_text())[LONG_TEXT_KEY]["aggregation"] == aggregation
    scores = load_classifier(output_dir).probabilities([row["text"] for row in validation_rows])
    assert scores.shape[0] == len(validation_rows)


def test_an_adapter_keeps_its_windows_in_labels_json(tmp_path, make_rows):
    _, output_dir, validation_rows = chunked_run(tmp_path, make_rows, peft="lora", max_chunks=2)
    saved = json.loads((output_dir / LABELS_FILE).read_text())[LONG_TEXT_KEY]
    assert saved == {"stride": 2, "max_chunks": 2, "aggregation": "mean"}
    classifier = load_classifier(output_dir)
    assert classifier.windows == Windows(**saved)
    assert len(classifier.encode([validation_rows[0]["text"]])[0].more) == 1  # the cap: two windows


def test_the_cap_is_logged_when_it_bites(tmp_path, make_rows, caplog):
    caplog.set_level(logging.INFO)
    metrics, _, validation_rows = chunked_run(tmp_path, make_rows, max_chunks=1)
    assert metrics["eval_texts_over_max_chunks"] == len(validation_rows)
    assert "more windows than --max_chunks" in caplog.text
