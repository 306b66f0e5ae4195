"""load_data / tokenize: every file format, TREC .label files, splits, and errors worded for the user."""

import logging
from collections import Counter
from itertools import pairwise

import datasets
import huggingface_hub.constants
import pytest
from transformers import TrainingArguments

from seqclf_hf import training
from seqclf_hf.arguments import DataArguments, ModelArguments, RunArguments
from seqclf_hf.build import build_model, train_tokenizer
from seqclf_hf.data import LengthBucketSampler, load_data, tokenize
from seqclf_hf.errors import ConfigError, DataError
from seqclf_hf.training import make_trainer, train


def label_strings(split):
    return [split.features["label"].int2str(label) for label in split["label"]]


def test_csv_files_give_text_and_class_label_columns(csv_dataset, trec_labels):
    data = load_data(DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"]))
    assert set(data) == {"train", "validation"}
    assert data["train"].column_names == ["text", "label"]
    assert isinstance(data["train"].features["label"], datasets.ClassLabel)
    assert data["train"].features["label"].names == list(trec_labels)
    assert Counter(label_strings(data["train"])) == dict.fromkeys(trec_labels, 8)
    assert data["train"][0] == {"text": "What does NASA stand for ?", "label": 0}


@pytest.mark.parametrize("extension", ["csv", "json", "jsonl", "parquet"])
def test_file_formats_with_custom_column_names(tmp_path, make_dataset, trec_labels, extension):
    files = make_dataset(tmp_path, extension, text_column="question", label_column="category")
    args = DataArguments(
        train_file=files["train"],
        validation_file=files["validation"],
        test_file=files["test"],
        text_column_name="question",
        label_column_name="category",
    )
    data = load_data(args)
    assert {split: len(data[split]) for split in data} == {"train": 48, "validation": 12, "test": 12}
    assert data["test"].features["label"].names == list(trec_labels)
    assert data["validation"][1] == {"text": "How does a lock work ?", "label": trec_labels.index("DESC")}


def test_integer_labels_are_ordered_numerically(tmp_path, save_rows):
    rows = [{"text": f"question number {i}", "label": label} for i, label in enumerate([2, 10, 1] * 4)]
    save_rows(tmp_path / "train.csv", rows)
    data = load_data(DataArguments(train_file=str(tmp_path / "train.csv"), validation_split_percentage=25))
    assert data["train"].features["label"].names == ["1", "2", "10"]


@pytest.fixture
def trec_label_file(tmp_path, make_rows, save_rows):
    path = tmp_path / "train_5500.label"
    save_rows(path, make_rows(8))
    return path


def test_trec_label_file_coarse_labels(trec_label_file, trec_labels):
    data = load_data(DataArguments(train_file=str(trec_label_file), validation_split_percentage=25))
    assert data["train"].features["label"].names == list(trec_labels)
    assert len(data["train"]) + len(data["validation"]) == 48
    texts = {*data["train"]["text"], *data["validation"]["text"]}
    assert "How does a rainbow work ?" in texts
    assert not any(":" in text for text in texts)


def test_trec_label_file_fine_labels_never_leak_into_text(trec_label_file):
    args = DataArguments(train_file=str(trec_label_file), label_granularity="fine", validation_split_percentage=25)
    data = load_data(args)
    names = data["train"].features["label"].names
    assert "DESC:manner" in names and len(names) == 6
    fine_words = {name.split(":")[1] for name in names}
    for text in [*data["train"]["text"], *data["validation"]["text"]]:
        assert not fine_words & set(text.split()), text
        assert not text.startswith(tuple(names))


def test_trec_label_file_keeps_line_with_invalid_utf8(tmp_path, make_rows, save_rows, caplog):
    path = tmp_path / "train.label"
    save_rows(path, make_rows(4))
    with path.open("ab") as handle:
        handle.write(b"HUM:ind Who founded Caf\xf0 Central ?\n")
    line_count = len(path.read_bytes().splitlines())
    with caplog.at_level(logging.WARNING):
        data = load_data(DataArguments(train_file=str(path), validation_split_percentage=40))
    texts = [*data["train"]["text"], *data["validation"]["text"]]
    assert len(texts) == line_count == 25
    assert "Who founded Caf\ufffd Central ?" in texts
    assert any("utf-8" in record.getMessage() and str(path) in record.getMessage() for record in caplog.records)
    assert any(record.levelno == logging.WARNING for record in caplog.records)


def latin1_file(tmp_path, extension, save_rows, make_rows):
    """A train file of made-up questions written as UTF-8, with "café" in Latin-1 on line 4."""
    path = tmp_path / f"train.{extension}"
    rows = make_rows(4)
    rows[2]["text"] = "Who founded the Café Central ?"
    save_rows(path, rows)
    latin1 = "é".encode("latin-1")
    path.write_bytes(path.read_bytes().replace("é".encode(), latin1).replace(b"\\u00e9", latin1))  # JSON escapes it
    return path


@pytest.mark.parametrize("extension", ["csv", "json", "jsonl"])
def test_text_file_in_another_encoding_is_a_one_line_error_naming_line_and_option(
    tmp_path, extension, save_rows, make_rows
):
    path = latin1_file(tmp_path, extension, save_rows, make_rows)
    with pytest.raises(DataError) as error:
        load_data(DataArguments(train_file=str(path)))
    message = str(error.value)
    assert "\n" not in message and str(path) in message and "--file_encoding" in message
    line = 1 if extension == "json" else 4 - (extension == "jsonl")  # .json: one line; .csv: after the header
    assert f"line {line}," in message


@pytest.mark.parametrize("extension", ["csv", "jsonl", "label"])
def test_file_encoding_reads_a_latin1_file(tmp_path, extension, save_rows, make_rows):
    path = latin1_file(tmp_path, extension, save_rows, make_rows)
    data = load_data(DataArguments(train_file=str(path), file_encoding="latin-1", validation_split_percentage=50))
    assert "Who founded the Café Central ?" in [*data["train"]["text"], *data["validation"]["text"]]


def test_unknown_file_encoding_is_named(csv_dataset):
    with pytest.raises(DataError, match="--file_encoding 'latin-9'"):
        load_data(DataArguments(train_file=csv_dataset["train"], file_encoding="latin-9"))


def test_malformed_trec_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.label"
    path.write_text("HUM:ind Who is it ?\nno label here\n")
    with pytest.raises(DataError, match=r"bad\.label, line 2"):
        load_data(DataArguments(train_file=str(path)))


def test_missing_validation_split_is_carved_stratified(csv_dataset, trec_labels):
    data = load_data(DataArguments(train_file=csv_dataset["train"], validation_split_percentage=25))
    assert (len(data["train"]), len(data["validation"])) == (36, 12)
    assert Counter(label_strings(data["train"])) == dict.fromkeys(trec_labels, 6)
    assert Counter(label_strings(data["validation"])) == dict.fromkeys(trec_labels, 2)
    assert not set(data["train"]["text"]) & set(data["validation"]["text"])


def test_carved_split_is_deterministic_for_a_seed(csv_dataset):
    def carved(split_seed):
        return load_data(
            DataArguments(train_file=csv_dataset["train"], validation_split_percentage=25, split_seed=split_seed)
        )

    first, again, other = carved(1), carved(1), carved(2)
    assert first["validation"]["text"] == again["validation"]["text"]
    assert first["train"]["text"] == again["train"]["text"]
    assert set(first["validation"]["text"]) != set(other["validation"]["text"])


def test_given_test_file_is_kept_when_validation_is_carved(csv_dataset):
    files = {"train_file": csv_dataset["train"], "test_file": csv_dataset["test"]}
    data = load_data(DataArguments(**files, validation_split_percentage=25))
    assert set(data) == {"train", "validation", "test"}
    assert len(data["test"]) == 12


def test_notebook_split_is_80_10_10_stratified(tmp_path, make_dataset, make_rows, trec_labels, caplog):
    files = make_dataset(tmp_path, "csv", sizes={"train": 10, "validation": 2})
    args = DataArguments(train_file=files["train"], validation_file=files["validation"], notebook_split=True)
    with caplog.at_level(logging.WARNING):
        data = load_data(args)
    assert {split: len(data[split]) for split in data} == {"train": 48, "validation": 6, "test": 6}
    for split in data:
        assert set(label_strings(data[split])) == set(trec_labels)
    assert not set(data["validation"]["text"]) & {row["text"] for row in make_rows(2, start=10)}
    assert "notebook_split" in caplog.text


@pytest.mark.parametrize(
    ("column_args", "missing", "flag"),
    [
        ({"text_column_name": "question"}, "question", "--text_column_name"),
        ({"label_column_name": "category"}, "category", "--label_column_name"),
    ],
)
def test_missing_column_names_file_column_and_flag(csv_dataset, column_args, missing, flag):
    with pytest.raises(DataError) as error:
        load_data(DataArguments(train_file=csv_dataset["train"], **column_args))
    message = str(error.value)
    assert csv_dataset["train"] in message and repr(missing) in message and flag in message


def test_empty_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "train.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty") as error:
        load_data(DataArguments(train_file=str(path)))
    assert str(path) in str(error.value)


def test_header_only_file_is_an_error(tmp_path, csv_dataset):
    path = tmp_path / "validation.csv"
    path.write_text("text,label\n")
    with pytest.raises(DataError, match="validation.csv' holds no examples"):
        load_data(DataArguments(train_file=csv_dataset["train"], validation_file=str(path)))


def test_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(DataError, match="does not exist") as error:
        load_data(DataArguments(train_file=str(tmp_path / "nope.csv")))
    assert "nope.csv" in str(error.value)


def test_label_unseen_in_train_names_row_and_label(tmp_path, csv_dataset, make_rows, save_rows):
    rows = make_rows(1)[:2] + [{"text": "Is this a trick ?", "label": "TRICK"}]
    save_rows(tmp_path / "validation.csv", rows)
    args = DataArguments(train_file=csv_dataset["train"], validation_file=str(tmp_path / "validation.csv"))
    with pytest.raises(DataError) as error:
        load_data(args)
    message = str(error.value)
    assert "Row 3" in message and "'TRICK'" in message and "validation" in message
    assert "validation.csv" in message


def test_single_class_is_an_error(tmp_path, make_rows, save_rows):
    save_rows(tmp_path / "train.csv", [row for row in make_rows(8) if row["label"] == "HUM"])
    with pytest.raises(DataError, match="only one label") as error:
        load_data(DataArguments(train_file=str(tmp_path / "train.csv")))
    assert "HUM" in str(error.value)


def test_unsupported_extension_lists_supported_ones(tmp_path):
    path = tmp_path / "train.txt"
    path.write_text("HUM:ind Who is it ?\n")
    with pytest.raises(DataError, match="unsupported extension") as error:
        load_data(DataArguments(train_file=str(path)))
    assert "train.txt" in str(error.value)
    assert all(extension in str(error.value) for extension in (".csv", ".jsonl", ".parquet", ".label"))


def test_dataset_name_and_train_file_together_is_an_error(csv_dataset):
    with pytest.raises(DataError, match="--dataset_name.*--train_file"):
        load_data(DataArguments(dataset_name="sample", train_file=csv_dataset["train"]))


def test_validation_file_without_train_file_is_an_error(csv_dataset):
    with pytest.raises(DataError, match="--train_file"):
        load_data(DataArguments(validation_file=csv_dataset["validation"]))


def test_too_few_examples_to_carve_a_stratified_split(tmp_path, make_rows, save_rows):
    save_rows(tmp_path / "train.csv", make_rows(1))  # one example per class: nothing to stratify
    with pytest.raises(DataError, match="--validation_file"):
        load_data(DataArguments(train_file=str(tmp_path / "train.csv")))


def test_hub_unreachable_says_to_pass_train_file(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True)
    with pytest.raises(DataError, match="--train_file") as error:
        load_data(DataArguments())
    assert "'CogComp/trec' (--dataset_name)" in str(error.value)


def test_sample_dataset_ships_with_the_package(trec_labels):
    data = load_data(DataArguments(dataset_name="sample"))
    assert set(data) == {"train", "validation"}
    assert data["train"].features["label"].names == list(trec_labels)
    assert len(data["train"]) + len(data["validation"]) >= 300
    assert set(label_strings(data["validation"])) == set(trec_labels)


@pytest.fixture
def word_tokenizer(make_rows):
    return train_tokenizer([row["text"] for row in make_rows(14)], "word", vocab_size=1000)


def test_tokenize_stores_unpadded_rows(csv_dataset, word_tokenizer):
    data = load_data(DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"]))
    tokenized = tokenize(data, word_tokenizer, max_seq_length=64)
    assert set(tokenized["train"].column_names) == {"input_ids", "attention_mask", "label"}
    lengths = [len(ids) for ids in tokenized["train"]["input_ids"]]
    assert len(set(lengths)) > 2
    assert word_tokenizer.pad_token_id not in {token for ids in tokenized["train"]["input_ids"] for token in ids}
    assert all(set(mask) == {1} for mask in tokenized["train"]["attention_mask"])
    first = tokenized["train"][0]["input_ids"]
    assert first == word_tokenizer(data["train"][0]["text"])["input_ids"]  # [CLS] what does nasa stand for ? [SEP]
    assert len(first) == 8


def test_tokenize_truncates_to_max_seq_length(csv_dataset, word_tokenizer):
    data = load_data(DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"]))
    tokenized = tokenize(data, word_tokenizer, max_seq_length=9)  # untruncated: 6 to 11 tokens
    lengths = [len(ids) for split in tokenized.values() for ids in split["input_ids"]]
    assert max(lengths) == 9 and min(lengths) < 9
    assert all(ids[-1] == word_tokenizer.sep_token_id for ids in tokenized["train"]["input_ids"])
    assert tokenized["train"]["label"] == data["train"]["label"]


def batches_of(indices, batch_size):
    return [indices[start : start + batch_size] for start in range(0, len(indices), batch_size)]


def test_length_buckets_cover_every_example_once_in_length_sorted_batches():
    lengths = [(7 * index) % 30 for index in range(30)]  # 0..29, shuffled
    sampler = LengthBucketSampler(lengths, batch_size=4, seed=0)
    indices = list(sampler)
    assert sorted(indices) == list(range(30)) and len(sampler) == 30
    batches = batches_of(indices, 4)
    # 30 examples fit one group: the batches are the length-sorted order cut in fours, the short one last.
    assert [len(batch) for batch in batches] == [4] * 7 + [2]
    assert sorted(lengths[i] for i in batches[-1]) == [28, 29]
    spans = sorted((min(lengths[i] for i in batch), max(lengths[i] for i in batch)) for batch in batches)
    assert all(high - low == 3 for low, high in spans[:-1])
    first_lengths = [min(lengths[i] for i in batch) for batch in batches[:-1]]
    assert first_lengths != sorted(first_lengths), "the batches must not run from short to long"


def test_length_buckets_draw_one_order_per_seed_and_epoch():
    lengths = list(range(100))
    sampler = LengthBucketSampler(lengths, batch_size=5, seed=3, batches_per_group=4)
    first = list(sampler)
    assert list(LengthBucketSampler(lengths, batch_size=5, seed=3, batches_per_group=4)) == first
    sampler.set_epoch(1)
    assert list(sampler) != first
    # Groups of 4 batches: each batch is a slice of one group sorted by length.
    for batch in batches_of(first, 5):
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)


def tiny_lstm_args():
    return ModelArguments(model_family="lstm", train_tokenizer="word", embedding_dim=8, hidden_sizes=[8])


def tiny_lstm(word_tokenizer):
    return build_model(tiny_lstm_args(), word_tokenizer, ["a"])


def tokenized_splits(csv_dataset, word_tokenizer):
    data = load_data(DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"]))
    return tokenize(data, word_tokenizer, max_seq_length=64)


def test_trainer_with_length_buckets_pads_each_batch_to_similar_lengths(csv_dataset, word_tokenizer, tmp_path):
    tokenized = tokenized_splits(csv_dataset, word_tokenizer)
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=4, use_cpu=True, report_to="none")
    model = tiny_lstm(word_tokenizer)
    trainer = make_trainer(args, tokenized, word_tokenizer, ["a"], length_buckets=True, model=model)
    batches = list(trainer.get_train_dataloader())
    assert sum(len(batch["input_ids"]) for batch in batches) == len(tokenized["train"])
    # The 48 questions fit one group: sorted by length, the batches' length ranges do not overlap.
    spans = sorted((int(mask.sum(1).min()), int(mask.sum(1).max())) for mask in (b["attention_mask"] for b in batches))
    assert all(previous[1] <= current[0] for previous, current in pairwise(spans))
    assert len({low for low, _ in spans}) > 1


def test_length_buckets_and_group_by_length_together_is_an_error(csv_dataset, word_tokenizer, tmp_path):
    tokenized = tokenized_splits(csv_dataset, word_tokenizer)
    args = TrainingArguments(
        output_dir=str(tmp_path), train_sampling_strategy="group_by_length", use_cpu=True, report_to="none"
    )
    with pytest.raises(ConfigError, match="--length_buckets .* --train_sampling_strategy group_by_length"):
        make_trainer(args, tokenized, word_tokenizer, ["a"], length_buckets=True, model=tiny_lstm(word_tokenizer))


def test_train_batches_by_length_buckets_when_asked(csv_dataset, tmp_path, monkeypatch):
    samplers = []

    class RecordedSampler(LengthBucketSampler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            samplers.append(self)

    monkeypatch.setattr(training, "LengthBucketSampler", RecordedSampler)
    model_args = tiny_lstm_args()
    data_args = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    args = TrainingArguments(tmp_path / "out", per_device_train_batch_size=4, use_cpu=True, report_to="none")
    train(model_args, data_args, args, RunArguments())
    assert samplers == []
    data_args.length_buckets = True
    metrics, _ = train(model_args, data_args, args, RunArguments(overwrite_output_dir=True))
    assert len(samplers) == 1 and samplers[0].batch_size == 4 and len(samplers[0]) == metrics["train_samples"]
