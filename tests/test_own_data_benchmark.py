"""benchmarks/own_data.py and benchmarks/review_sets.py: the table and the JSON hold the runs' own figures, the
verdicts follow their stated rules, and the converters write what the wheels hold."""

import bz2
import csv
import io
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))  # own_data imports recipe_runs, review_sets news_outlets: same folder
import own_data  # noqa: E402
import review_sets  # noqa: E402

sys.path.remove(str(REPO / "benchmarks"))


def test_table_and_json_hold_the_figures_of_the_run_and_reuse_trains_nothing(make_dataset, tmp_path):
    files = make_dataset(tmp_path / "data", sizes={"train": 10})
    out, table = tmp_path / "runs", tmp_path / "own_data.md"
    argv = ["--data", f"tiny={files['train']}", "--recipes", "bow", "--seeds", "1", "--output_dir", str(out)]
    argv += ["--markdown", str(table), "--num_train_epochs", "1", "--embedding_dim", "8"]
    own_data.main(argv)

    metrics_file = out / "tiny" / "bow" / "seed1" / "metrics.json"
    metrics = json.loads(metrics_file.read_text())
    assert metrics["epoch"] == 1.0  # the extra flag reached the run
    assert "train_accuracy" not in metrics  # --max_train_eval_samples 0: the train split is not scored again
    (run,) = json.loads((out / "own_data.json").read_text())["runs"]
    for key in ("eval_accuracy", "eval_macro_f1", "baseline_tfidf_eval_macro_f1", "collapsed", "train_runtime"):
        assert run[key] == metrics[key]
    macro_f1, accuracy = own_data.fmt((metrics["eval_macro_f1"], 0.0)), own_data.fmt((metrics["eval_accuracy"], 0.0))
    tfidf = f"{100 * metrics['baseline_tfidf_eval_macro_f1']:.1f}"
    assert f"| tiny | bow | 1 | {macro_f1} | {accuracy} | {tfidf} |" in table.read_text()
    assert f"| {int(metrics['collapsed'])} of 1 |" in table.read_text()

    stamp = metrics_file.stat().st_mtime_ns
    own_data.main([*argv, "--reuse"])
    assert metrics_file.stat().st_mtime_ns == stamp
    assert len(json.loads((out / "own_data.json").read_text())["runs"]) == 1


def test_beats_tfidf_needs_a_margin_larger_than_the_seeds_std():
    assert own_data.beats(0.60, 0.05, 0.50) == "yes"
    assert own_data.beats(0.60, 0.15, 0.50) == "tie"
    assert own_data.beats(0.40, 0.05, 0.50) == "no"
    assert own_data.beats(0.51, 0.0, 0.50) == "yes"  # one seed: any difference counts


def fake_run(seed: int, macro_f1: float, collapsed: bool) -> dict:
    figures = {"eval_accuracy": macro_f1 + 0.1, "eval_macro_f1": macro_f1, "baseline_tfidf_eval_macro_f1": 0.5}
    figures |= {"baseline_majority_eval_macro_f1": 0.2, "collapsed": collapsed, "classes_predicted": 3 - collapsed * 2}
    figures |= {"classes": 3, "eval_samples": 30, "train_runtime": 5.0}
    return {"data": "d", "recipe": "cnn", "seed": seed, **figures}


def test_summary_counts_collapsed_seeds_and_keeps_failed_ones_out_of_the_means():
    runs = [fake_run(1, 0.6, False), fake_run(2, 0.2, True), {"data": "d", "recipe": "cnn", "seed": 3, "failed": 1}]
    row = own_data.summarize(runs)[("d", "cnn")]
    assert row["seeds"] == [1, 2] and row["failed"] == [3] and row["collapsed"] == 1
    assert row["eval_macro_f1"][0] == pytest.approx(0.4) and row["beats_tfidf"] == "tie"
    line = own_data.table_row("d", "cnn", row)
    assert line.startswith("| d | cnn | 1 2 (failed: 3) | 40.0 ± 28.3 | 50.0 ± 28.3 | 50.0 | 20.0 | tie | 1 of 2 |")
    assert "| 3, 1 of 3 |" in line


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--data", "reviews.csv"], "give NAME=PATH"),
        (["--data", "r=/no/such.csv"], "/no/such.csv is not a file"),
        (["--recipes", "cnn-vectors"], "cnn-vectors need --pretrained"),
    ],
)
def test_bad_options_are_one_line_errors(tmp_path, capsys, flags, message):
    data = tmp_path / "d.csv"
    data.write_text("text,label\na,b\n")
    argv = ["--data", f"d={data}", "--recipes", "cnn", "--output_dir", str(tmp_path / "out"), *flags]
    with pytest.raises(SystemExit):
        own_data.parse_args(argv)
    assert message in capsys.readouterr().err and not (tmp_path / "out").exists()


def drug_wheel(path: Path) -> Path:
    def tsv(rows):
        table = io.StringIO()
        writer = csv.writer(table, delimiter="\t")
        writer.writerow(["", "drugName", "condition", "review", "rating", "date", "usefulCount"])
        # Each review wrapped in quotes, as the real file has it.
        writer.writerows([index, "X", "Pain", f'"{review}"', rating, "May 1", 3] for index, (review, rating) in rows)
        return table.getvalue()

    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as archive:
        archive.writestr("drugsComTrain.tsv", tsv(enumerate([("Worked &#039;well&#039;.\r\r\nNo pain", "positive")])))
        archive.writestr("drugsComTest.tsv", tsv(enumerate([("Made it worse", "negative")])))
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(review_sets.DRUG_ARCHIVE, inner.getvalue())
    return path


def movie_wheel(path: Path, rows: list[tuple[str, str]]) -> Path:
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["category", "filename", "text", "movie_name"])
    writer.writerows([category, "f.html", text, "m"] for category, text in rows)
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(review_sets.MOVIE_MEMBER, bz2.compress(table.getvalue().encode()))
    return path


def convert(*args) -> subprocess.CompletedProcess:
    command = [sys.executable, str(REPO / "benchmarks" / "review_sets.py"), *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True)


def test_drug_reviews_are_the_review_unquoted_as_the_file_has_it_and_its_rating_class(tmp_path):
    wheel = drug_wheel(tmp_path / "drugs.whl")
    assert convert("drug-reviews", wheel, tmp_path / "train.csv").returncode == 0
    assert convert("drug-reviews", "--split", "test", wheel, tmp_path / "test.csv").returncode == 0
    read = [list(csv.DictReader((tmp_path / name).open(newline=""))) for name in ("train.csv", "test.csv")]
    assert read == [
        [{"text": "Worked &#039;well&#039;.\r\r\nNo pain", "label": "positive"}],
        [{"text": "Made it worse", "label": "negative"}],
    ]


def test_movie_snippets_leave_out_plots_and_repeats_and_are_drawn_stratified(tmp_path):
    rows = [(label, f"{label} snippet {index}") for label in ("fresh", "rotten") for index in range(6)]
    rows += [rows[0], ("plot", "a plot summary")]
    output = tmp_path / "movies.csv"
    result = convert("movie-snippets", movie_wheel(tmp_path / "st.whl", rows), output, "--documents", "8")
    assert result.returncode == 0, result.stderr
    written = list(csv.DictReader(output.open()))
    assert len({row["text"] for row in written}) == 8 and sum(row["label"] == "fresh" for row in written) == 4
    assert all(row["text"].startswith(row["label"]) for row in written)


def test_converters_never_replace_a_file(tmp_path):
    output = tmp_path / "mine.csv"
    output.write_text("mine\n")
    result = convert("drug-reviews", drug_wheel(tmp_path / "drugs.whl"), output)
    assert result.returncode == 2 and "exists" in result.stderr and output.read_text() == "mine\n"
