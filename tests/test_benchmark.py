"""benchmarks/benchmark.py on tiny data: every figure it reports comes from the runs' own metrics.json."""

import datetime
import json
import shutil
from pathlib import Path

import pytest
from benchmark_scripts import load_benchmark

from seqclf_hf.arguments import DataArguments
from seqclf_hf.data import load_data
from seqclf_hf.inference import OnnxClassifier, load_classifier

benchmark = load_benchmark("benchmark")
recipe_runs = load_benchmark("recipe_runs")


def test_benchmark_writes_results_table_and_chart_from_the_runs(make_dataset, tmp_path):
    files = make_dataset(tmp_path / "data", extension="label", sizes={"train": 10, "test": 2})
    out = tmp_path / "bench"
    out.mkdir()
    (out / "RESULTS.md").write_text("old table\n")
    argv = ["--train_file", files["train"], "--test_file", files["test"], "--models", "lstm", "cnn"]
    argv += ["--seeds", "1", "2", "--output_dir", str(out), "--", "--num_train_epochs", "1"]
    benchmark.main(argv)

    report = json.loads((out / "results.json").read_text())
    assert [(run["model"], run["seed"]) for run in report["runs"]] == [
        ("lstm", 1),
        ("lstm", 2),
        (benchmark.NOTEBOOK_ROW, 1),
        (benchmark.NOTEBOOK_ROW, 2),
        ("cnn", 1),
        ("cnn", 2),
    ]
    for model in ("lstm", "cnn"):
        saved = [json.loads((out / "runs" / f"{model}-seed{s}" / "metrics.json").read_text()) for s in (1, 2)]
        mean, _ = report["results"][model]["test_accuracy"]
        assert abs(mean - (saved[0]["test_accuracy"] + saved[1]["test_accuracy"]) / 2) < 1e-12
        assert report["results"][model]["latency_p50_ms"][0] > 0
        assert report["results"][model]["peak_rss_mb"][0] > 100  # torch alone is more
    text = (out / "RESULTS.md").read_text()
    assert "old table" not in text and "--train_file $TRAIN_FILE --test_file $TEST_FILE" in text
    assert files["train"] not in text and f"({datetime.date.today().isoformat()})" in text
    assert f"| lstm | {recipe_runs.fmt(report['results']['lstm']['eval_accuracy'])} |" in text
    assert "benchmarks/benchmark.py" in text and (out / "accuracy.png").stat().st_size > 0
    loop = report["results"][benchmark.NOTEBOOK_ROW]
    speedup = report["results"]["lstm"]["train_samples_per_second"][0] / loop["train_samples_per_second"][0]
    assert f"{speedup:.2f}x samples/s" in text
    assert f"| {benchmark.NOTEBOOK_ROW} | {recipe_runs.fmt(loop['eval_accuracy'])} |" in text


@pytest.fixture(scope="module")
def bow_and_cnn_run(tmp_path_factory, make_dataset) -> Path:
    """A one-seed bow + cnn benchmark on tiny data, trained once for the tests that start from it."""
    root = tmp_path_factory.mktemp("bow-and-cnn")
    files = make_dataset(root / "data", extension="label", sizes={"train": 10})
    common = ["--train_file", files["train"], "--seeds", "1", "--output_dir", str(root)]
    benchmark.main([*common, "--models", "bow", "cnn", "--", "--num_train_epochs", "1"])
    return root


@pytest.fixture
def first_bow_and_cnn_run(bow_and_cnn_run, tmp_path) -> tuple[list[str], Path]:
    """A copy of that benchmark in tmp_path, to update: (common flags, its RESULTS.md)."""
    shutil.copytree(bow_and_cnn_run, tmp_path, dirs_exist_ok=True)  # copy2: the runs' mtimes come along
    train_file = str(tmp_path / "data" / "train.label")
    return ["--train_file", train_file, "--seeds", "1", "--output_dir", str(tmp_path)], tmp_path / "RESULTS.md"


def test_update_redoes_only_the_named_models(first_bow_and_cnn_run, tmp_path):
    common, results_md = first_bow_and_cnn_run
    first = json.loads((tmp_path / "results.json").read_text())["results"]
    benchmark.main([*common, "--models", "bow", "--update", "--", "--num_train_epochs", "2"])
    second = json.loads((tmp_path / "results.json").read_text())["results"]

    assert list(second) == ["bow", "cnn"] and second["cnn"] == first["cnn"]  # the redone row keeps its place
    assert second["bow"]["command"].endswith("--num_train_epochs 2") and second["bow"] != first["bow"]
    text = results_md.read_text()
    assert (
        recipe_runs.portable(first["cnn"]["command"]) in text
        and recipe_runs.portable(second["bow"]["command"]) in text
    )
    assert text.index("| bow |") < text.index("| cnn |")


def test_pretrained_goes_where_each_recipe_takes_it():
    assert recipe_runs.pretrained_flags("bert-lora", "enc") == ["--model_name_or_path", "enc"]
    assert recipe_runs.pretrained_flags("cnn-vectors", "enc") == ["--pretrained_embeddings", "enc"]
    assert recipe_runs.pretrained_flags("cnn", "enc") == []
    assert all(recipe_runs.pretrained_flags(model, "enc") for model in benchmark.PRETRAINED_MODELS)


def test_update_drops_rows_of_recipes_that_are_gone(first_bow_and_cnn_run, tmp_path):
    common, results_md = first_bow_and_cnn_run
    report = json.loads((tmp_path / "results.json").read_text())
    report["results"]["retired-recipe"] = report["results"]["cnn"]  # as if its YAML had been deleted since
    report["runs"].append({**report["runs"][-1], "model": "retired-recipe"})
    (tmp_path / "results.json").write_text(json.dumps(report))
    benchmark.main([*common, "--models", "bow", "--update", "--", "--num_train_epochs", "1"])
    report = json.loads((tmp_path / "results.json").read_text())

    assert list(report["results"]) == ["bow", "cnn"]
    assert {run["model"] for run in report["runs"]} == {"bow", "cnn"}
    assert "retired-recipe" not in results_md.read_text()


def test_bf16_and_int8_columns_come_from_their_own_runs_and_exports(first_bow_and_cnn_run, tmp_path):
    common, results_md = first_bow_and_cnn_run
    benchmark.main(
        [*common, "--models", "cnn", "--update", "--reuse", "--bf16", "--int8", "--", "--num_train_epochs", "1"]
    )

    run = json.loads((tmp_path / "results.json").read_text())["runs"][-1]
    bf16 = json.loads((tmp_path / "runs" / "cnn-seed1-bf16" / "run_args.json").read_text())
    assert bf16["training"]["bf16"] is True
    bf16_metrics = json.loads((tmp_path / "runs" / "cnn-seed1-bf16" / "metrics.json").read_text())
    assert run["bf16_train_samples_per_second"] == bf16_metrics["train_samples_per_second"]
    # The int8 export's own accuracy on the dev split (the questions the recipe held out), counted here.
    int8 = load_classifier(tmp_path / "runs" / "cnn-seed1" / "onnx-int8")
    assert isinstance(int8, OnnxClassifier)
    dev = load_data(DataArguments(train_file=common[1]))["validation"]
    gold = [dev.features["label"].names[label] for label in dev["label"]]
    right = sum(best["label"] == label for [best], label in zip(int8.predict(dev["text"]), gold, strict=True))
    assert run["int8_eval_accuracy"] == right / len(gold) and run["int8_batched_questions_per_s"] > 0
    row = f"| cnn | {recipe_runs.fmt((run['train_samples_per_second'], 0.0), 1, 0)} |"
    row += f" {recipe_runs.fmt((run['bf16_train_samples_per_second'], 0.0), 1, 0)} |"
    assert row in (tmp_path / "RESULTS.md").read_text()


def test_plain_loop_trains_exactly_what_the_recipe_trains(make_dataset, tmp_path):
    """Same model, batches and optimizer: the speed ratio compares the loops and nothing else."""
    files = make_dataset(tmp_path / "data", extension="label", sizes={"train": 10})
    cpu_training = load_benchmark("cpu_training")
    runs = tmp_path / "runs.json"
    variants = ["plain loop, same model and batches", "recipe"]
    argv = [
        "--model",
        "lstm",
        "--train_file",
        files["train"],
        "--max_steps",
        "4",
        "--rounds",
        "1",
        "--json",
        str(runs),
    ]
    cpu_training.main([*argv, "--variants", *variants])
    plain, recipe = json.loads(runs.read_text())
    assert plain["variant"] == variants[0] and recipe["variant"] == "recipe"
    assert abs(plain["train_loss"] - recipe["train_loss"]) < 1e-6
    assert plain["eval_accuracy"] == recipe["eval_accuracy"]


def test_hf_baseline_padded_or_not_trains_what_the_recipe_trains(make_dataset, tiny_encoder, tmp_path, capsys):
    files = make_dataset(tmp_path / "data", extension="label", sizes={"train": 10})
    cpu_training = load_benchmark("cpu_training")
    runs = tmp_path / "runs.json"
    variants = ["HF example, padded to max_seq_length", "HF example, padded per batch", "recipe"]
    argv = ["--pretrained", tiny_encoder, "--train_file", files["train"], "--max_steps", "3", "--rounds", "1"]
    cpu_training.main([*argv, "--json", str(runs), "--variants", *variants])
    losses = [run["train_loss"] for run in json.loads(runs.read_text())]
    assert max(losses) - min(losses) < 1e-4, losses  # padding is masked: the same training, whatever its shape
    assert "| recipe |" in capsys.readouterr().out


def test_reuse_keeps_finished_runs_and_measures_again(first_bow_and_cnn_run, tmp_path):
    common, results_md = first_bow_and_cnn_run
    run_dir = tmp_path / "runs" / "cnn-seed1"
    trained = (run_dir / "model.safetensors").stat().st_mtime_ns
    benchmark.main([*common, "--models", "cnn", "--update", "--reuse", "--int8", "--", "--num_train_epochs", "1"])
    assert (run_dir / "model.safetensors").stat().st_mtime_ns == trained  # not trained again
    run = json.loads((tmp_path / "results.json").read_text())["runs"][-1]
    assert run["model"] == "cnn" and run["int8_eval_accuracy"] >= 0 and (run_dir / "onnx-int8").is_dir()


def test_distill_trains_each_student_from_the_teacher_of_its_seed(make_dataset, tiny_encoder, tmp_path):
    files = make_dataset(tmp_path / "data", extension="label", sizes={"train": 10})
    out = tmp_path / "bench"
    argv = ["--train_file", files["train"], "--seeds", "1", "--output_dir", str(out), "--pretrained", tiny_encoder]
    argv += ["--models", "bow", "--distill", "--distill_flags", "--augment 1 --distill_alpha 0.2"]
    benchmark.main([*argv, "--", "--num_train_epochs", "1"])

    report = json.loads((out / "results.json").read_text())
    assert [run["model"] for run in report["runs"]] == ["bow", "bow distilled"]
    student = out / "runs" / "bow-distilled-seed1"
    distillation = json.loads((student / "run_args.json").read_text())["distillation"]
    assert distillation["teachers"] == [str(out / "runs" / "bert-seed1" / "onnx-int8")]
    assert (distillation["augment"], distillation["distill_alpha"]) == (1, 0.2)
    run = report["runs"][1]
    assert run["eval_accuracy"] == json.loads((student / "metrics.json").read_text())["eval_accuracy"]
    assert run["x_teacher_questions_per_s"] == run["batched_questions_per_s"] / run["teacher_batched_questions_per_s"]
    assert run["teacher_scoring_seconds"] > 0
    text = (out / "RESULTS.md").read_text()
    row = report["results"]["bow distilled"]
    teacher_and_student = f"{recipe_runs.fmt(row['teacher_eval_accuracy'])} | {recipe_runs.fmt(row['eval_accuracy'])}"
    assert f"| bow distilled | {teacher_and_student} |" in text
    assert "| bow distilled |" not in text.split("Distilled from")[0]  # not in the main table


def test_distill_needs_the_encoder_to_train_the_teacher(make_dataset, tmp_path, capsys):
    files = make_dataset(tmp_path / "data", extension="label", sizes={"train": 10})
    with pytest.raises(SystemExit):
        benchmark.main(["--train_file", files["train"], "--models", "bow", "--distill", "--output_dir", str(tmp_path)])
    assert "--distill needs --pretrained" in capsys.readouterr().err
