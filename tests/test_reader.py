"""reader.py: one reader for training's files and predict's, with one encoding policy and one text-column rule."""

import csv

import pytest
from tiny_runs import tiny_bow_run

from seqclf_hf import cli
from seqclf_hf.arguments import DataArguments
from seqclf_hf.data import load_data
from seqclf_hf.errors import DataError
from seqclf_hf.reader import FORMATS, read_dataset, read_rows, text_columns

LATIN1_ROWS = "text,label\nWho founded the Café Central ?,HUM\nHow many moons has Mars ?,NUM\n"


@pytest.fixture(scope="module")
def trained(tmp_path_factory, make_dataset):
    return tiny_bow_run(tmp_path_factory.mktemp("reader"), make_dataset)[0]


def test_a_latin1_file_gets_the_same_answer_from_training_and_predict(trained, tmp_path):
    path = tmp_path / "questions.csv"
    path.write_bytes(LATIN1_ROWS.encode("latin-1"))
    with pytest.raises(DataError) as training_error:
        load_data(DataArguments(train_file=str(path)))
    output = tmp_path / "preds.csv"
    with pytest.raises(SystemExit) as predict_error:
        cli.main(["predict", str(trained), str(path), "--output", str(output)])
    assert str(predict_error.value.code) == f"error: {training_error.value}"
    assert "line 2, is not valid utf-8" in str(training_error.value) and "--file_encoding" in str(training_error.value)
    assert not output.exists()


def test_predict_with_the_file_encoding_writes_the_text_back_as_read(trained, tmp_path):
    path = tmp_path / "questions.csv"
    path.write_bytes(LATIN1_ROWS.encode("latin-1"))
    output = tmp_path / "preds.csv"
    cli.main(["predict", str(trained), str(path), "--output", str(output), "--file_encoding", "latin-1"])
    with open(output, newline="", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    assert texts == ["Who founded the Café Central ?", "How many moons has Mars ?"]
    assert "\ufffd" not in output.read_text(encoding="utf-8")


def test_a_json_file_in_another_encoding_is_refused_by_training_and_predict(tmp_path):
    """The `datasets` JSON builder parses an array as UTF-8 before applying the encoding: 'Café' came back as
    another text, or a parse error."""
    path = tmp_path / "questions.json"
    path.write_bytes('[{"text": "Who founded the Café Central ?", "label": "HUM"}]'.encode("latin-1"))
    expected = "questions.json: a .json file is read as UTF-8, not latin-1. Save it as UTF-8, or as .jsonl or .csv"
    with pytest.raises(DataError, match=expected):
        read_dataset(path, encoding="latin-1")
    with pytest.raises(DataError, match=expected):
        next(read_rows(path, 10, [], encoding="latin-1"))


def test_training_and_predict_find_the_same_text_column():
    names = ["id", "Question", "label"]
    assert text_columns(names, None, "f.csv", "--text_column_name") == ["Question"]
    assert text_columns(names, ["QUESTION"], "f.csv", "--text_column_names") == ["Question"]
    with pytest.raises(DataError, match="f.csv has no column 'topic'.*--text_column_names"):
        text_columns(names, ["question", "topic"], "f.csv", "--text_column_names")


@pytest.mark.parametrize("suffix", sorted(FORMATS))
def test_every_format_is_read_for_training_and_for_predict(suffix, tmp_path, save_rows, make_rows):
    path = tmp_path / f"train{suffix}"
    rows = make_rows(2)
    if suffix == ".txt":
        path.write_text("".join(row["text"] + "\n" for row in rows))
    elif suffix == ".tsv":
        path.write_text("text\tlabel\n" + "".join(f"{row['text']}\t{row['label']}\n" for row in rows))
    else:
        save_rows(path, rows)
    streamed = [row for chunk in read_rows(path, 5, []) for row in chunk]
    assert [row["text"] for row in streamed] == [row["text"] for row in rows]
    if suffix != ".txt":  # a list of texts has no labels to train on
        data = load_data(DataArguments(train_file=str(path), validation_split_percentage=50))
        assert sorted([*data["train"]["text"], *data["validation"]["text"]]) == sorted(row["text"] for row in rows)
