"""Distillation (distillation.py): teachers of every problem type, the cached scores, an ensemble, the loss and the
augmentation rules."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tiny_runs import MULTI, REGRESSION, model_args, task_rows, tiny_training, write_jsonl

from seqclf_hf import search
from seqclf_hf.arguments import DataArguments, DistillArguments, RunArguments
from seqclf_hf.distillation import HAS_GOLD, MASK_WORD, TEACHER_SCORES, augment, distillation_loss, score_texts
from seqclf_hf.errors import ConfigError
from seqclf_hf.export import export_onnx
from seqclf_hf.inference import load_classifier
from seqclf_hf.tasks import ProblemType, spec
from seqclf_hf.training import train

SINGLE = ProblemType.SINGLE_LABEL.value


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQCLF_HF_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def task_files(tmp_path_factory, make_rows):
    """{problem type: {split: .jsonl path}}."""
    root = tmp_path_factory.mktemp("distill-data")
    files = {}
    for problem_type in (SINGLE, MULTI, REGRESSION):
        files[problem_type] = {}
        for split, size, start in (("train", 3, 0), ("validation", 1, 3)):
            rows = make_rows(size, start)
            rows = rows if problem_type == SINGLE else task_rows(rows, problem_type)
            rows = [{"text": row["text"], "label": row["label"]} for row in rows]
            files[problem_type][split] = write_jsonl(root / f"{problem_type}-{split}.jsonl", rows)
    return files


@pytest.fixture(scope="module")
def teachers(task_files, tmp_path_factory):
    """{problem type: a trained tiny bow teacher's output_dir}, and a second single-label one (a cnn)."""
    root = tmp_path_factory.mktemp("teachers")
    made = {}
    for name, family, problem_type in (
        (SINGLE, "bow", SINGLE),
        ("cnn", "cnn", SINGLE),
        (MULTI, "bow", MULTI),
        (REGRESSION, "bow", REGRESSION),
    ):
        files = task_files[problem_type]
        data_args = DataArguments(train_file=files["train"], validation_file=files["validation"])
        train(model_args(family, ""), data_args, tiny_training(root / name, num_train_epochs=2))
        made[name] = str(root / name)
    return made


def distil(family, problem_type, files, teacher, output_dir, **options):
    data_args = DataArguments(
        train_file=files[problem_type]["train"], validation_file=files[problem_type]["validation"]
    )
    run_args = RunArguments(teacher=teacher, **options)
    return train(model_args(family, ""), data_args, tiny_training(output_dir), run_args)[0]


def test_a_single_label_student_trains_on_the_teacher_and_says_so(task_files, teachers, tmp_path, caplog):
    transfer = tmp_path / "unlabeled.txt"
    transfer.write_text("Who painted the Mona Lisa ?\nHow many legs has an ant ?\n")
    output_dir = tmp_path / "student"
    with caplog.at_level("INFO"):
        metrics = distil(
            "cnn", SINGLE, task_files, teachers[SINGLE], output_dir, augment=2, transfer_file=str(transfer)
        )
    train_texts = 18  # 3 questions of each of 6 classes
    assert f"Transfer set: {train_texts} training texts, {2 * train_texts} augmented copies, 2 from" in caplog.text
    assert f"Teacher scores of {3 * train_texts + 2} texts computed in" in caplog.text
    teacher_eval = json.loads((Path(teachers[SINGLE]) / "metrics.json").read_text())["eval_accuracy"]
    assert metrics["teacher_eval_accuracy"] == pytest.approx(teacher_eval)
    assert metrics["train_samples"] == train_texts  # scored on the training split, not the transfer set
    saved = json.loads((output_dir / "run_args.json").read_text())["distillation"]
    assert saved["teachers"] == [teachers[SINGLE]] and saved["augment"] == 2 and saved["distill_alpha"] == 0.5
    assert saved["transfer_texts"] == 3 * train_texts + 2
    card = (output_dir / "README.md").read_text()
    assert f"Distilled from {teachers[SINGLE]}" in card
    assert f"| validation (teacher) | {teacher_eval:.4f} |" in card
    assert load_classifier(output_dir).probabilities(["Who is it ?"]).shape == (1, 6)


def test_teacher_scores_are_cached_and_not_computed_again(task_files, teachers, tmp_path, caplog):
    distil("bow", SINGLE, task_files, teachers[SINGLE], tmp_path / "first", augment=1)
    caplog.clear()
    with caplog.at_level("INFO"):
        distil("bow", SINGLE, task_files, teachers[SINGLE], tmp_path / "second", augment=1)
    assert "Teacher scores of 36 texts read from the cache" in caplog.text
    assert "computed in" not in caplog.text


def test_changed_teacher_weights_are_scored_again(task_files, teachers, tmp_path, caplog):
    distil("bow", SINGLE, task_files, teachers["cnn"], tmp_path / "first")
    weights = Path(teachers["cnn"]) / "model.safetensors"
    weights.touch()  # a retrained teacher: another modification time
    caplog.clear()
    with caplog.at_level("INFO"):
        distil("bow", SINGLE, task_files, teachers["cnn"], tmp_path / "second")
    assert "Teacher scores of 18 texts computed in" in caplog.text


@pytest.mark.parametrize("problem_type", [MULTI, REGRESSION])
def test_multi_label_and_regression_students_train_from_a_teacher_of_their_type(
    problem_type, task_files, teachers, tmp_path
):
    metrics = distil("lstm", problem_type, task_files, teachers[problem_type], tmp_path / "student", augment=1)
    main_metric = spec(problem_type).scalar_metrics[0]
    assert f"teacher_eval_{main_metric}" in metrics and f"eval_{main_metric}" in metrics
    assert metrics["problem_type"] == problem_type
    scores = load_classifier(tmp_path / "student").probabilities(["Who is it ?"])
    assert scores.shape == (1, 7 if problem_type == MULTI else 1)


def test_an_ensemble_averages_its_teachers_scores(task_files, teachers, tmp_path, capsys):
    paths = [teachers[SINGLE], teachers["cnn"]]
    texts = ["Who invented the radio ?", "How many moons of Mars are there ?", "What does NASA stand for ?"]
    classifiers = [load_classifier(path) for path in paths]
    averaged = score_texts(classifiers, texts, batch_size=2)
    assert "teacher scores" not in capsys.readouterr().err  # no progress bar off a terminal: fragments in a log
    expected = (classifiers[0].probabilities(texts) + classifiers[1].probabilities(texts)) / 2
    assert np.allclose(averaged, expected.numpy(), atol=1e-6)
    metrics = distil("bow", SINGLE, task_files, ",".join(paths), tmp_path / "student")
    saved = json.loads((tmp_path / "student" / "run_args.json").read_text())["distillation"]
    assert saved["teachers"] == paths and "teacher_eval_accuracy" in metrics


def test_augmentation_follows_the_seed_and_tang_et_al_rules():
    texts = [f"who invented the radio number {i} in the year {i} ?" for i in range(50)]
    copies = augment(texts, 2, seed=3)
    assert copies == augment(texts, 2, seed=3) and copies != augment(texts, 2, seed=4)
    assert len(copies) == 100
    vocabulary = {word for text in texts for word in text.split()} | {MASK_WORD}
    assert all(set(copy.split()) <= vocabulary for copy in copies)
    assert any(MASK_WORD in copy for copy in copies)
    assert any(len(copy.split()) < 6 for copy in copies)  # n-gram samples: no source text is this short


def test_augmented_pairs_keep_both_texts():
    copies = augment([("what is it ?", "a thing"), ("who is he ?", "a person")], 1, seed=0)
    assert all(isinstance(copy, tuple) and len(copy) == 2 for copy in copies)


def loss_inputs(labels, teacher, has_gold):
    return {"labels": labels, TEACHER_SCORES: teacher, HAS_GOLD: torch.tensor(has_gold)}


def test_the_loss_mixes_gold_and_teacher_by_alpha():
    logits = torch.tensor([[2.0, 0.0, -1.0], [0.5, 0.5, 0.0]])
    teacher = torch.tensor([[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]])
    inputs = loss_inputs(torch.tensor([0, 2]), teacher, [1, 1])
    gold = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2]))
    only_gold = distillation_loss(logits, inputs, DistillArguments(distill_alpha=1.0), SINGLE)
    assert only_gold == pytest.approx(gold.item())
    temperature = 2.0
    soft = (
        torch.nn.functional.kl_div(
            (logits / temperature).log_softmax(-1), (teacher.log() / temperature).softmax(-1), reduction="batchmean"
        )
        * temperature**2
    )
    options = DistillArguments(distill_alpha=0.25, distill_temperature=temperature)
    mixed = distillation_loss(logits, inputs, options, SINGLE)
    assert mixed == pytest.approx((0.25 * gold + 0.75 * soft).item())


def test_a_teacher_that_agrees_with_the_student_adds_no_loss():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    inputs = loss_inputs(torch.tensor([1]), logits.softmax(-1), [0])  # no gold label: the teacher's part alone
    for loss in ("kl", "mse"):
        options = DistillArguments(distill_alpha=0.5, distill_loss=loss)
        assert distillation_loss(logits, inputs, options, SINGLE) == pytest.approx(0.0, abs=1e-6)


def test_rows_without_gold_labels_and_class_weights_touch_only_the_gold_part():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    teacher = logits.softmax(-1)
    options = DistillArguments(distill_alpha=1.0)
    placeholder = distillation_loss(logits, loss_inputs(torch.tensor([1, 0]), teacher, [1, 0]), options, SINGLE)
    assert placeholder == pytest.approx(torch.nn.functional.cross_entropy(logits[:1], torch.tensor([1])).item())
    logits, labels = torch.tensor([[2.0, 0.0], [2.0, 0.0]]), torch.tensor([0, 1])  # right, then wrong
    weighted = distillation_loss(logits, loss_inputs(labels, logits.softmax(-1), [1, 1]), options, SINGLE, [1, 3])
    expected = torch.nn.functional.cross_entropy(logits, labels, weight=torch.tensor([1.0, 3.0]))
    assert weighted == pytest.approx(expected.item())
    assert weighted > torch.nn.functional.cross_entropy(logits, labels)  # the wrong row's class weighs 3


def test_multi_label_and_regression_losses_target_the_teachers_scores():
    logits = torch.tensor([[1.0, -1.0]])
    sigmoid = torch.tensor([[0.9, 0.2]])
    inputs = loss_inputs(torch.tensor([[1.0, 0.0]]), sigmoid, [0])
    bce = torch.nn.functional.binary_cross_entropy_with_logits(logits, sigmoid)
    assert distillation_loss(logits, inputs, DistillArguments(distill_alpha=0.0), MULTI) == pytest.approx(bce.item())
    value = torch.tensor([[2.0]])
    inputs = loss_inputs(torch.tensor([4.0]), torch.tensor([[3.0]]), [1])
    mixed = distillation_loss(value, inputs, DistillArguments(distill_alpha=0.5), REGRESSION)
    assert mixed == pytest.approx(0.5 * 4.0 + 0.5 * 1.0)  # (2-4)² and (2-3)²


def test_the_search_refuses_a_teacher(teachers, csv_dataset):
    argv = ["--model", "bow", "--train_file", csv_dataset["train"], "--teacher", teachers[SINGLE], "--n_trials", "1"]
    with pytest.raises(ConfigError, match="The search does not distil: drop --teacher"):
        search.main(argv)


def test_an_int8_onnx_teacher_and_a_bert_student(task_files, teachers, tiny_encoder, tmp_path, caplog):
    export = export_onnx(teachers[SINGLE], tmp_path / "teacher-int8", int8=True)
    data_args = DataArguments(train_file=task_files[SINGLE]["train"], validation_file=task_files[SINGLE]["validation"])
    with caplog.at_level("INFO"):
        metrics, _ = train(
            model_args("bert", tiny_encoder),
            data_args,
            tiny_training(tmp_path / "student"),
            RunArguments(teacher=str(export), augment=1),
        )
    assert "Teacher scores of 36 texts computed in" in caplog.text
    assert 0 <= metrics["teacher_eval_accuracy"] <= 1 and "eval_accuracy" in metrics
    assert load_classifier(tmp_path / "student").probabilities(["Who is it ?"]).shape == (1, 6)
