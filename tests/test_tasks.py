"""Every problem type (tasks.py): multi-label, regression, their decisions, metrics and saved thresholds."""

import csv
import json

import pytest
import torch
from datasets import ClassLabel, Dataset, Features, Sequence, Value
from tiny_runs import MULTI, REGRESSION, model_args, task_rows, tiny_training, write_jsonl
from transformers import AutoConfig

from seqclf_hf import cli
from seqclf_hf.arguments import DataArguments, PeftArguments, RunArguments
from seqclf_hf.data import label_texts, load_data
from seqclf_hf.errors import ConfigError, DataError
from seqclf_hf.inference import classification_pipeline, load_classifier
from seqclf_hf.models import FAMILIES
from seqclf_hf.tasks import spec
from seqclf_hf.training import train


@pytest.fixture(scope="module")
def task_files(tmp_path_factory, make_rows):
    """{problem type: {split: .jsonl path}}, with the labels in the form that lets the problem type be inferred."""
    root = tmp_path_factory.mktemp("tasks")
    files = {}
    for problem_type in (MULTI, REGRESSION):
        files[problem_type] = {
            split: write_jsonl(root / f"{problem_type}-{split}.jsonl", task_rows(make_rows(size, start), problem_type))
            for split, size, start in (("train", 3, 0), ("validation", 1, 3), ("test", 1, 4))
        }
    return files


@pytest.mark.parametrize("problem_type", [MULTI, REGRESSION])
@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_trains_saves_and_predicts_every_problem_type(
    family, problem_type, task_files, tiny_encoder, tmp_path, caplog
):
    files = task_files[problem_type]
    data_args = DataArguments(train_file=files["train"], validation_file=files["validation"], test_file=files["test"])
    output_dir = tmp_path / "out"
    with caplog.at_level("INFO"):
        # Two steps: the test is about what each problem type saves and predicts, not what it learns.
        metrics, splits = train(model_args(family, tiny_encoder), data_args, tiny_training(output_dir, max_steps=2))
    assert f"Problem type: {problem_type} (inferred" in caplog.text
    assert f"{problem_type} has no accuracy: the best checkpoint is the one with the best" in caplog.text
    for prefix in ("train", "eval", "test"):
        assert {f"{prefix}_{name}" for name in spec(problem_type).scalar_metrics} <= set(metrics)
        assert f"{prefix}_accuracy" not in metrics
    config = AutoConfig.from_pretrained(output_dir)
    labels = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM", "short"] if problem_type == MULTI else ["label"]
    assert config.problem_type == problem_type and list(config.id2label.values()) == labels
    saved_args = json.loads((output_dir / "run_args.json").read_text())["training"]
    assert saved_args["metric_for_best_model"] == spec(problem_type).scalar_metrics[0]
    assert saved_args["greater_is_better"] == (problem_type == MULTI)  # mse: lower is better
    texts = list(splits["test"]["text"][:3])
    scores = load_classifier(output_dir).probabilities(texts)
    assert scores.shape == (3, len(labels))
    predicted = classification_pipeline(output_dir)(texts, top_k=None)
    if problem_type == MULTI:  # independent sigmoid scores, as pipeline reports them
        assert ((scores > 0) & (scores < 1)).all() and not torch.allclose(scores.sum(-1), torch.ones(3))
        assert predicted[0][0]["score"] == pytest.approx(scores[0].max().item(), abs=1e-5)
        assert not (output_dir / "confusion_eval.png").exists()
    else:  # the value itself
        assert predicted[0][0]["score"] == pytest.approx(scores[0, 0].item(), abs=1e-5)
        assert (output_dir / "scatter_eval.png").is_file() and (output_dir / "scatter_test.png").is_file()
    card = (output_dir / "README.md").read_text()
    assert f"{metrics[f'test_{spec(problem_type).scalar_metrics[0]}']:.4f}" in card


def test_label_delimiter_makes_a_csv_multi_label(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("text,label\n" + "".join(f"text {i},a|b\ntext {i} more,b\n" for i in range(10)))
    splits = load_data(DataArguments(train_file=str(path), label_delimiter="|"))
    assert splits["train"].features["label"].feature.names == ["a", "b"]
    assert sorted(map(len, [*splits["train"]["label"], *splits["validation"]["label"]])) == [1] * 10 + [2] * 10


def test_a_list_label_in_a_single_label_run_is_an_error(task_files):
    with pytest.raises(DataError, match="list of labels .* single-label run: give --problem_type multi_label"):
        load_data(DataArguments(train_file=task_files[MULTI]["train"], problem_type="single_label_classification"))


def test_a_non_numeric_value_in_a_regression_column_names_the_row(tmp_path):
    train, validation = tmp_path / "train.csv", tmp_path / "validation.csv"
    train.write_text("text,label\n" + "".join(f"text {i},{i / 2}\n" for i in range(10)))
    validation.write_text("text,label\na,1.5\nb,many\n")
    with pytest.raises(DataError, match="Row 2 of the validation split .* has label 'many', not a number"):
        load_data(DataArguments(train_file=str(train), validation_file=str(validation)))


@pytest.mark.parametrize("threshold", [0, 1, 1.5])
def test_a_threshold_outside_0_1_is_an_error(threshold, csv_dataset, tmp_path):
    with pytest.raises(ConfigError, match="--multi_label_threshold must be between 0 and 1"):
        train(
            model_args("bow", ""),
            DataArguments(train_file=csv_dataset["train"]),
            tiny_training(tmp_path / "out"),
            RunArguments(multi_label_threshold=threshold),
        )
    assert not (tmp_path / "out").exists()


def test_a_metric_the_problem_type_does_not_produce_is_an_error(task_files, tmp_path):
    with pytest.raises(ConfigError, match="--metric_for_best_model macro_f1 is not a metric of regression"):
        train(
            model_args("bow", ""),
            DataArguments(train_file=task_files[REGRESSION]["train"]),
            tiny_training(tmp_path / "out", metric_for_best_model="macro_f1"),
        )
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def multi_label_run(tmp_path_factory, task_files):
    """A tiny multi-label bow run trained with --multi_label_threshold 0.3: its output_dir."""
    files = task_files[MULTI]
    output_dir = tmp_path_factory.mktemp("multi") / "out"
    data_args = DataArguments(train_file=files["train"], validation_file=files["validation"])
    train(model_args("bow", ""), data_args, tiny_training(output_dir), RunArguments(multi_label_threshold=0.3))
    return output_dir


def above(classifier, text: str, threshold: float) -> str:
    """The labels `classifier` scores above `threshold` for `text`, as predict writes them."""
    scores = classifier.probabilities([text])[0].tolist()
    return "|".join(label for label, score in zip(classifier.labels, scores, strict=True) if score > threshold)


def test_decide_predicts_the_labels_above_the_saved_threshold_or_a_given_one(multi_label_run):
    classifier = load_classifier(multi_label_run)  # ABBR DESC ENTY HUM LOC NUM short, threshold 0.3
    scores = torch.tensor([[0.1, 0.35, 0.2, 0.9, 0.31, 0.0, 0.5], [0.0] * 7])
    assert classifier.decide(scores) == ["DESC|HUM|LOC|short", ""]
    assert classifier.decide(scores, threshold=0.4) == ["HUM|short", ""]


@pytest.mark.parametrize("options", [[], ["--threshold", "0.9"]])
def test_predict_decides_multi_label_by_the_saved_threshold_and_writes_every_score(multi_label_run, tmp_path, options):
    assert json.loads((multi_label_run / "config.json").read_text())["multi_label_threshold"] == 0.3
    classifier = load_classifier(multi_label_run)
    texts = tmp_path / "questions.txt"
    texts.write_text("Who invented the radio ?\nHow many planets are there ?\n")
    output = tmp_path / "preds.csv"
    cli.main(["predict", str(multi_label_run), str(texts), "--output", str(output), *options])
    with open(output, newline="") as handle:
        results = list(csv.DictReader(handle))
    assert list(results[0]) == ["text", "prediction", *(f"score_{label}" for label in classifier.labels)]
    # The saved threshold, not the old default 0.5; an explicit --threshold, not the saved one.
    threshold, not_used = (0.9, 0.3) if options else (0.3, 0.5)
    texts = [row["text"] for row in results]
    assert [above(classifier, text, threshold) for text in texts] != [above(classifier, t, not_used) for t in texts]
    assert [row["prediction"] for row in results] == [above(classifier, row["text"], threshold) for row in results]
    scores = classifier.probabilities([results[0]["text"]])[0].tolist()
    assert [float(results[0][f"score_{label}"]) for label in classifier.labels] == pytest.approx(scores, abs=1e-6)


@pytest.mark.parametrize("problem_type", [MULTI, REGRESSION])
def test_a_bert_lora_adapter_keeps_its_problem_type(problem_type, task_files, tiny_encoder, tmp_path):
    files = task_files[problem_type]
    data_args = DataArguments(train_file=files["train"], validation_file=files["validation"])
    output_dir = tmp_path / "out"
    run_args = RunArguments(multi_label_threshold=0.3)
    train(model_args("bert", tiny_encoder), data_args, tiny_training(output_dir), run_args, PeftArguments(peft="lora"))
    classifier = load_classifier(output_dir)
    assert classifier.config.problem_type == problem_type
    assert classifier.threshold == (0.3 if problem_type == MULTI else 0.5)  # labels.json carries a multi-label's
    assert classifier.probabilities(["How many planets ?"]).shape == (1, 7 if problem_type == MULTI else 1)
    predicted = classification_pipeline(output_dir)("How many planets ?", top_k=None)
    assert predicted[0]["score"] == pytest.approx(
        classifier.probabilities(["How many planets ?"]).max().item(), abs=1e-5
    )


def test_true_labels_are_written_in_the_order_predictions_are():
    """The training summary compares them as text: "sport|tech" and "tech|sport" are the same labels."""
    features = Features({"text": Value("string"), "label": Sequence(ClassLabel(names=["politics", "sport", "tech"]))})
    split = Dataset.from_dict({"text": ["a", "b"], "label": [[2, 1], [0]]}, features=features)
    assert label_texts(split) == ["sport|tech", "politics"]
