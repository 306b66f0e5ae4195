"""`seqclf-hf predict` and predict.py: files of texts predicted row by row, bad files refused before writing."""

import csv

import pytest
import transformers
from tiny_runs import model_args, tiny_training

from seqclf_hf import cli
from seqclf_hf.arguments import DataArguments
from seqclf_hf.inference import load_classifier
from seqclf_hf.training import train


@pytest.fixture(scope="module")
def predicted_run(tmp_path_factory, make_dataset):
    """A tiny bow run whose test file has no label column: (output_dir, test file path)."""
    root = tmp_path_factory.mktemp("predict")
    files = make_dataset(root / "data", "csv", sizes={"train": 4, "validation": 1, "test": 1})
    unlabeled = root / "data" / "unlabeled.csv"
    with open(files["test"], newline="") as handle:
        rows = list(csv.DictReader(handle))
    unlabeled.write_text("id,text\n" + "".join(f"{i},{row['text']}\n" for i, row in enumerate(rows)) + "99,\n")
    data_args = DataArguments(train_file=files["train"], validation_file=files["validation"], test_file=str(unlabeled))
    metrics, _ = train(model_args("bow", ""), data_args, tiny_training(root / "out"))
    return root / "out", unlabeled, metrics


def test_a_test_file_without_labels_is_predicted_not_scored(predicted_run):
    output_dir, unlabeled, metrics = predicted_run
    assert "eval_accuracy" in metrics and not any(key.startswith("test_") for key in metrics)
    with open(output_dir / "predict_results.csv", newline="") as handle:
        results = list(csv.DictReader(handle))
    assert list(results[0]) == ["id", "text", "prediction", "score"]
    assert [row["id"] for row in results] == [str(i) for i in range(6)] + ["99"]  # every row, in order
    labels = load_classifier(output_dir).labels
    assert all(row["prediction"] in labels and 0 < float(row["score"]) <= 1 for row in results[:-1])
    assert results[-1]["prediction"] == results[-1]["score"] == ""  # no text: an empty prediction, not a lost row


def test_the_predict_command_streams_a_text_file_and_counts_empty_rows(predicted_run, tmp_path, caplog, capsys):
    output_dir, _, _ = predicted_run
    texts = tmp_path / "questions.txt"
    texts.write_text("Who invented the radio ?\n\nWhere is Petra located ?\n")
    output = tmp_path / "preds.csv"
    with caplog.at_level("WARNING"):
        cli.main(["predict", str(output_dir), str(texts), "--output", str(output), "--batch_size", "1"])
    with open(output, newline="") as handle:
        results = list(csv.DictReader(handle))
    assert [row["text"] for row in results] == ["Who invented the radio ?", "", "Where is Petra located ?"]
    classifier = load_classifier(output_dir)
    assert results[0]["prediction"] == classifier.predict("Who invented the radio ?")[0]["label"]
    assert results[1]["prediction"] == ""
    assert "1 of the 3 rows" in caplog.text and "3 rows predicted" in capsys.readouterr().out


def test_a_row_of_only_invisible_characters_gets_an_empty_prediction(predicted_run, tmp_path, caplog):
    """Zero-width spaces, joiners and byte-order marks are not whitespace to str.strip, but a model reads nothing in
    them: the row is counted with the empty ones, not given a guess."""
    output_dir, _, _ = predicted_run
    texts = tmp_path / "questions.csv"
    texts.write_text("text\nWho invented the radio ?\n\u200b\u200d\ufeff\n", encoding="utf-8")
    output = tmp_path / "preds.csv"
    with caplog.at_level("WARNING"):
        cli.main(["predict", str(output_dir), str(texts), "--output", str(output)])
    with open(output, newline="", encoding="utf-8") as handle:
        results = list(csv.DictReader(handle))
    assert results[0]["prediction"] and results[1]["prediction"] == ""
    assert "1 of the 2 rows have no text (or only invisible characters)" in caplog.text


@pytest.fixture
def progress_bars_on():
    """transformers' bars on, as in a fresh process (a command that ran before may have turned them off), and on
    again after the test."""
    transformers.utils.logging.enable_progress_bar()
    yield
    transformers.utils.logging.enable_progress_bar()


def test_the_predict_command_shows_no_progress_bar_off_a_terminal(predicted_run, tmp_path, capsys, progress_bars_on):
    output_dir, unlabeled, _ = predicted_run
    cli.main(["predict", str(output_dir), str(unlabeled), "--output", str(tmp_path / "preds.csv")])
    printed = capsys.readouterr()  # captured: not a terminal
    assert "rows predicted" in printed.out
    assert "predicting" not in printed.err and "Loading weights" not in printed.err and "\r" not in printed.err


BAD_FILES = {
    "no_text.csv": b"id,body\n1,Who?\n",
    "taken.csv": b"text,score\nWho?,3\n",
    "twice.csv": b"text,text\nWho?,Where?\n",
    "binary.csv": b"\x00\x01\x02",
    "empty.csv": b"",
    "quotes.csv": b'text\n"Who?\n' + b"x\n" * 5,
    "ragged.csv": b"text,id\nWho?,1,extra\n",
}


@pytest.mark.parametrize(
    ("file_name", "options", "message"),
    [
        ("unlabeled.csv", ["--text_column_names", "question"], "has no column 'question'.*--text_column_names"),
        ("missing.csv", [], "File to predict .*missing.csv' does not exist"),
        ("questions.xml", [], "Cannot predict .*questions.xml: use one of .csv"),
        ("no_text.csv", [], "No text column found: the columns of no_text.csv are \\['id', 'body'\\].*--text_column"),
        ("taken.csv", [], "taken.csv already has a column 'score', .*: rename it"),
        ("twice.csv", [], "two columns named 'text': give every column its own name"),
        ("binary.csv", [], "binary.csv does not look like a text file \\(it holds NUL bytes\\)"),
        ("empty.csv", [], "empty.csv is empty"),
        ("quotes.csv", [], "Could not read quotes.csv: .*Fix that row, or save the file again"),
        ("ragged.csv", [], "Line 2 of ragged.csv has 3 fields and its header 2: name every column, or quote"),
    ],
)
def test_the_predict_command_refuses_bad_input_before_writing(predicted_run, tmp_path, file_name, options, message):
    output_dir, unlabeled, _ = predicted_run
    path = unlabeled if file_name == "unlabeled.csv" else tmp_path / file_name
    if file_name in BAD_FILES:
        path.write_bytes(BAD_FILES[file_name])
    output = tmp_path / "p.csv"
    with pytest.raises(SystemExit, match=f"error: .*{message}"):
        cli.main(["predict", str(output_dir), str(path), "--output", str(output), *options])
    assert not output.exists()


def test_a_malformed_jsonl_line_is_an_empty_row_in_place_and_counted(predicted_run, tmp_path, caplog):
    output_dir, _, _ = predicted_run
    path = tmp_path / "new.jsonl"
    path.write_text(
        '{"id": 1, "text": "Who invented the radio ?"}\n{"id": 2, "text": "Where is\n\n[1, 2]\n{"id": 4}\n'
    )
    output = tmp_path / "preds.csv"
    with caplog.at_level("WARNING"):
        cli.main(["predict", str(output_dir), str(path), "--output", str(output)])
    with open(output, newline="") as handle:
        results = list(csv.DictReader(handle))
    assert [row["id"] for row in results] == [
        "1",
        "",
        "",
        "4",
    ]  # every line that holds something, in order (line 3 is blank)
    assert results[0]["prediction"] and [row["prediction"] for row in results[1:]] == ["", "", ""]
    assert (
        "3 of the 4 rows have no text" in caplog.text
        and "Lines that are not a JSON object, so rows without text: 2, 4;" in caplog.text
    )


def test_predict_finds_a_question_column_and_keeps_cells_as_written(predicted_run, tmp_path):
    output_dir, _, _ = predicted_run
    path = tmp_path / "semicolons.csv"
    path.write_text("id;Question\n007;Who invented the radio ?\n2;NA\n3;\n")
    output = tmp_path / "preds.csv"
    cli.main(["predict", str(output_dir), str(path), "--output", str(output)])
    with open(output, newline="") as handle:
        results = list(csv.DictReader(handle))
    assert [(row["id"], row["Question"]) for row in results] == [
        ("007", "Who invented the radio ?"),
        ("2", "NA"),
        ("3", ""),
    ]
    assert results[1]["prediction"] and not results[2]["prediction"]  # "NA" is a text, an empty cell is not


FORMULAS = ['=HYPERLINK("http://x","click")', "+1+2", "-2+3", "@SUM(A1)", "\tWho ?", "\rWho ?"]


@pytest.mark.parametrize("raw", [False, True], ids=["escaped", "raw"])
def test_cells_a_spreadsheet_would_run_go_behind_a_quote_unless_raw(predicted_run, tmp_path, raw):
    output_dir, _, _ = predicted_run
    path = tmp_path / "strangers.csv"
    with open(path, "w", newline="") as handle:
        csv.writer(handle).writerows([["id", "text"], *[[-index, formula] for index, formula in enumerate(FORMULAS)]])
    output = tmp_path / "preds.csv"
    cli.main(["predict", str(output_dir), str(path), "--output", str(output), *(["--raw_cells"] if raw else [])])
    with open(output, newline="") as handle:
        results = list(csv.DictReader(handle))
    assert [row["text"] for row in results] == (FORMULAS if raw else [f"'{formula}" for formula in FORMULAS])
    assert [row["id"] for row in results] == ["0", *(f"-{index}" for index in range(1, 6))]  # numbers as written
    assert all(row["prediction"] and float(row["score"]) > 0 for row in results)
