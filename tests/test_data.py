"""load_data / tokenize: every file format, TREC .label files, splits, and errors worded for the user."""

import logging
from collections import Counter

import datasets
import huggingface_hub.constants
import pytest
from datasets import Dataset, DatasetDict
from tiny_runs import model_args, tiny_training

from seqclf_hf.arguments import DataArguments
from seqclf_hf.data import load_data, tokenize
from seqclf_hf.errors import DataError
from seqclf_hf.inference import load_classifier
from seqclf_hf.training import train
from seqclf_hf.validation import check_data_sources


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
    # 25% of 8 per class is 2; a split that small takes half of each class (the floor: 20, or half the class).
    assert (len(data["train"]), len(data["validation"])) == (24, 24)
    assert Counter(label_strings(data["train"])) == dict.fromkeys(trec_labels, 4)
    assert Counter(label_strings(data["validation"])) == dict.fromkeys(trec_labels, 4)
    assert not set(data["train"]["text"]) & set(data["validation"]["text"])


def imbalanced_csv(path, counts: dict[str, int]) -> str:
    path.write_text(
        "text,label\n" + "".join(f"text {label} {i},{label}\n" for label, n in counts.items() for i in range(n))
    )
    return str(path)


def test_small_carved_validation_split_holds_a_floor_per_class(tmp_path):
    # 10% of 600 texts is 60; stratified, the rare class would get 5 texts: the checkpoint would be chosen on noise.
    counts = {"positive": 384, "negative": 162, "neutral": 54}
    data = load_data(DataArguments(train_file=imbalanced_csv(tmp_path / "reviews.csv", counts)))
    validation, train = Counter(label_strings(data["validation"])), Counter(label_strings(data["train"]))
    assert validation == {"positive": 38, "negative": 20, "neutral": 20}  # min(20, half the class) each
    assert {label: validation[label] + train[label] for label in counts} == counts
    assert not set(data["train"]["text"]) & set(data["validation"]["text"])


def test_floor_takes_at_most_half_a_small_class(tmp_path):
    counts = {"common": 500, "rare": 12}
    data = load_data(DataArguments(train_file=imbalanced_csv(tmp_path / "rare.csv", counts)))
    assert Counter(label_strings(data["validation"])) == {"common": 51, "rare": 6}


def test_a_carved_split_of_hundreds_is_left_as_stratification_made_it(tmp_path):
    counts = {"common": 2400, "rare": 40}  # 244 validation texts, 4 of them rare: large enough to pick a checkpoint
    data = load_data(DataArguments(train_file=imbalanced_csv(tmp_path / "large.csv", counts)))
    assert Counter(label_strings(data["validation"])) == {"common": 240, "rare": 4}


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
    path = tmp_path / "train.xml"
    path.write_text("<q>Who is it ?</q>\n")
    with pytest.raises(DataError, match="unsupported extension") as error:
        load_data(DataArguments(train_file=str(path)))
    assert "train.xml" in str(error.value)
    assert all(extension in str(error.value) for extension in (".csv", ".jsonl", ".parquet", ".label"))


def test_dataset_name_and_train_file_together_is_an_error(csv_dataset):
    with pytest.raises(DataError, match="--dataset_name.*--train_file"):
        check_data_sources(DataArguments(dataset_name="sample", train_file=csv_dataset["train"]))


def test_validation_file_without_train_file_is_an_error(csv_dataset):
    with pytest.raises(DataError, match="--train_file"):
        check_data_sources(DataArguments(validation_file=csv_dataset["validation"]))


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


def write_pairs(directory, make_rows, save_rows, extra_column: bool = True) -> dict:
    """Train/validation CSVs of (question, topic) pairs labelled with the question's class."""
    directory.mkdir(exist_ok=True)
    paths = {}
    for split, size, start in (("train", 3, 0), ("validation", 1, 3)):
        rows = make_rows(size, start)
        path = directory / f"{split}.csv"
        columns = ["question", "topic", "label"] if extra_column or split == "train" else ["question", "label"]
        lines = [",".join(columns)] + [
            ",".join([row["text"], row["fine"], row["label"]][: len(columns) - 1] + [row["label"]]) for row in rows
        ]
        path.write_text("\n".join(lines) + "\n")
        paths[split] = str(path)
    return paths


@pytest.mark.parametrize("family", ["bert", "cnn"])
def test_text_pairs_are_encoded_as_pairs_and_predicted_from_tuples(
    family, make_rows, save_rows, tiny_encoder, tmp_path
):
    files = write_pairs(tmp_path / "data", make_rows, save_rows)
    data_args = DataArguments(
        train_file=files["train"], validation_file=files["validation"], text_column_names="question,topic"
    )
    metrics, splits = train(model_args(family, tiny_encoder), data_args, tiny_training(tmp_path / "out"))
    assert splits["train"].column_names == ["text", "text_pair", "label"]
    assert "eval_accuracy" in metrics
    classifier = load_classifier(tmp_path / "out")
    (encoded,) = classifier.encode([("Where is Petra located ?", "city")])
    tokens = classifier.tokenizer.convert_ids_to_tokens(encoded.input_ids)
    assert tokens[0] == "[CLS]" and tokens.count("[SEP]") == 2 and tokens[-2:] == ["city", "[SEP]"]
    if family == "bert":  # BERT reads which text each token is from
        assert encoded.token_type_ids == [0] * (len(tokens) - 2) + [1, 1]
    predicted = classifier.predict([("Who invented the radio ?", "ind"), ("Where is Petra located ?", "city")])
    assert len(predicted) == 2 and predicted[0][0]["label"] in classifier.labels
    assert classifier.predict(("Who invented the radio ?", "ind"))[0]["label"] in classifier.labels


def test_a_pair_column_missing_in_one_split_is_an_error(make_rows, save_rows, tmp_path):
    files = write_pairs(tmp_path / "data", make_rows, save_rows, extra_column=False)
    args = DataArguments(
        train_file=files["train"], validation_file=files["validation"], text_column_names="question,topic"
    )
    with pytest.raises(DataError, match="validation.csv has no column 'topic'.* --text_column_names"):
        load_data(args)


def test_more_than_two_text_columns_are_joined(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("a,b,c,label\n" + "".join(f"x{i},y{i},z{i},{i % 2}\n" for i in range(20)))
    args = DataArguments(train_file=str(path), text_column_names="a,b,c", text_column_delimiter=" / ")
    train_split = load_data(args)["train"]
    assert sorted(train_split.column_names) == ["label", "text"]
    assert set(train_split["text"]) <= {f"x{i} / y{i} / z{i}" for i in range(20)}


def test_max_samples_cut_each_split_stratified(csv_dataset):
    args = DataArguments(**{f"{split}_file": path for split, path in csv_dataset.items()}, max_train_samples=12)
    splits = load_data(DataArguments(**{**vars(args), "max_eval_samples": 6, "max_predict_samples": 3}))
    assert [len(splits[split]) for split in ("train", "validation", "test")] == [12, 6, 3]
    assert sorted(splits["train"]["label"]) == sorted(list(range(6)) * 2)  # 2 of each of the 6 classes


def test_split_names_pick_a_dev_split(monkeypatch, make_rows):
    rows = {"train": make_rows(4), "dev": make_rows(1, 4), "extra": make_rows(1, 5)}
    hub = DatasetDict({split: Dataset.from_list(split_rows) for split, split_rows in rows.items()})
    monkeypatch.setattr("seqclf_hf.data.load_hub_dataset", lambda args: hub)
    splits = load_data(DataArguments(dataset_name="someone/questions", validation_split_name="dev"))
    assert len(splits["validation"]) == 6 and set(splits["validation"]["text"]) == set(hub["dev"]["text"])
    with pytest.raises(DataError, match="no 'training' split .* --train_split_name"):
        load_data(DataArguments(dataset_name="someone/questions", train_split_name="training"))


def test_a_predict_file_of_another_format_is_refused_before_training(csv_dataset, tmp_path):
    path = tmp_path / "new.xml"
    path.write_text("<q>How many planets ?</q>\n")
    with pytest.raises(DataError, match="--predict_file .*new.xml: give a .csv, .tsv, .json, .jsonl, .parquet, .txt"):
        load_data(DataArguments(train_file=csv_dataset["train"], predict_file=str(path)))
