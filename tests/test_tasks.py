"""Every text-classification task: multi-label, regression, text pairs, predictions on unlabeled data."""

import csv
import json

import pytest
import torch
from datasets import ClassLabel, Dataset, DatasetDict, Features, Sequence, Value
from transformers import AutoConfig, TrainingArguments

from seqclf_hf import cli
from seqclf_hf.arguments import DataArguments, ModelArguments, PeftArguments, RunArguments
from seqclf_hf.data import label_texts, load_data
from seqclf_hf.errors import ConfigError, DataError, ModelSetupError
from seqclf_hf.inference import classification_pipeline, load_classifier
from seqclf_hf.metrics import SCALAR_METRICS
from seqclf_hf.models import FAMILIES
from seqclf_hf.training import RecipeTrainer, train

TINY = {  # ModelArguments per family: tiny sizes, a word tokenizer learnt from the data
    "bow": {"embedding_dim": 8},
    "manual-rnn": {"embedding_dim": 8, "hidden_size": 8},
    "rnn": {"embedding_dim": 8, "hidden_sizes": [8]},
    "gru": {"embedding_dim": 8, "hidden_sizes": [8]},
    "lstm": {"embedding_dim": 8, "hidden_sizes": [8]},
    "cnn": {"embedding_dim": 8, "num_filters": 4, "kernel_sizes": [2, 3]},
    "transformer": {"hidden_size": 8, "num_heads": 2, "intermediate_size": 16, "num_layers": 1},
}
MULTI = "multi_label_classification"
REGRESSION = "regression"


def model_args(family: str, tiny_encoder: str) -> ModelArguments:
    if family == "bert":
        return ModelArguments("bert", model_name_or_path=tiny_encoder)
    return ModelArguments(family, train_tokenizer="word", **TINY[family])


def tiny_training(output_dir, **options) -> TrainingArguments:
    values = {
        "num_train_epochs": 1,
        "learning_rate": 1e-2,
        "per_device_train_batch_size": 8,
        "eval_strategy": "epoch",
        "save_strategy": "epoch",
        "load_best_model_at_end": True,
        "metric_for_best_model": "accuracy",  # the recipes' default: other problem types switch to their own
        "greater_is_better": True,
        "report_to": "none",
        "use_cpu": True,
    }
    return TrainingArguments(output_dir=str(output_dir), **{**values, **options})


def task_rows(rows: list[dict], problem_type: str) -> list[dict]:
    """The TREC-style rows as another task: the class plus "short" for short questions (multi-label), the number
    of words (regression)."""
    for row in rows:
        if problem_type == MULTI:
            row["label"] = [row["label"], "short"] if len(row["text"]) < 28 else [row["label"]]
        else:
            row["label"] = float(len(row["text"].split()))
    return rows


def write_jsonl(path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


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
        assert {f"{prefix}_{name}" for name in SCALAR_METRICS[problem_type]} <= set(metrics)
        assert f"{prefix}_accuracy" not in metrics
    config = AutoConfig.from_pretrained(output_dir)
    labels = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM", "short"] if problem_type == MULTI else ["label"]
    assert config.problem_type == problem_type and list(config.id2label.values()) == labels
    saved_args = json.loads((output_dir / "run_args.json").read_text())["training"]
    assert saved_args["metric_for_best_model"] == SCALAR_METRICS[problem_type][0]
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
    assert f"{metrics[f'test_{SCALAR_METRICS[problem_type][0]}']:.4f}" in card


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


def imbalanced_files(directory) -> dict:
    """12 questions of one class and 4 of another in train; one of each in validation."""
    directory.mkdir(exist_ok=True)
    train, validation = directory / "train.csv", directory / "validation.csv"
    train.write_text("text,label\n" + "".join(f"how many {i} ?,NUM\n" for i in range(12)))
    with train.open("a") as handle:
        handle.write("".join(f"who is {i} ?,HUM\n" for i in range(4)))
    validation.write_text("text,label\nhow many moons ?,NUM\nwho is she ?,HUM\n")
    return {"train_file": str(train), "validation_file": str(validation)}


def test_auto_class_weights_are_inverse_frequencies_used_by_the_loss_and_saved(tmp_path):
    data_args = DataArguments(**imbalanced_files(tmp_path / "data"))
    output_dir = tmp_path / "out"
    train(model_args("bow", ""), data_args, tiny_training(output_dir), RunArguments(class_weights="auto"))
    saved = json.loads((output_dir / "run_args.json").read_text())
    assert saved["run"]["class_weights"] == "auto"
    assert saved["class_weights"] == pytest.approx([16 / (2 * 4), 16 / (2 * 12)])  # labels HUM, NUM


def test_class_weights_change_the_loss_of_every_model_through_the_trainer(tmp_path, make_model):
    model = make_model("cnn").eval()
    inputs = {"input_ids": torch.tensor([[5, 6, 7], [8, 9, 10]]), "labels": torch.tensor([0, 3])}
    weights = [1.0, 1.0, 1.0, 4.0, 1.0, 1.0]
    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none")
    logits = model(input_ids=inputs["input_ids"]).logits
    for given in (weights, None):
        trainer = RecipeTrainer(model=model, args=args, class_weights=given)
        weight = torch.tensor(given) if given else None
        expected = torch.nn.functional.cross_entropy(logits, inputs["labels"], weight=weight)
        assert trainer.compute_loss(model, dict(inputs)).item() == pytest.approx(expected.item(), abs=1e-6)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("1,2,3", "gives 3 weights for 2 labels"), ("1,-2", "one positive number per label"), ("a,b", "positive")],
)
def test_bad_class_weights_are_one_line_errors(spec, message, tmp_path):
    with pytest.raises((ConfigError, DataError), match=f"--class_weights.*{message}"):
        train(
            model_args("bow", ""),
            DataArguments(**imbalanced_files(tmp_path / "data")),
            tiny_training(tmp_path / "out"),
            RunArguments(class_weights=spec),
        )
    assert not (tmp_path / "out").exists()


def test_early_stopping_stops_when_the_metric_stops_improving(csv_dataset, tmp_path):
    data_args = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    run_args = RunArguments(early_stopping_patience=1, early_stopping_threshold=10.0)  # no epoch improves by 10
    metrics, _ = train(model_args("bow", ""), data_args, tiny_training(tmp_path / "out", num_train_epochs=5), run_args)
    assert metrics["epoch"] == 2  # the first evaluation sets the best, the second fails to improve: stop


def test_early_stopping_without_evaluation_is_an_error(csv_dataset, tmp_path):
    with pytest.raises(ConfigError, match="--early_stopping_patience watches the validation metric: it needs"):
        train(
            model_args("bow", ""),
            DataArguments(train_file=csv_dataset["train"]),
            tiny_training(tmp_path / "out", eval_strategy="no", save_strategy="no", load_best_model_at_end=False),
            RunArguments(early_stopping_patience=2),
        )
    assert not (tmp_path / "out").exists()


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


def test_ignore_mismatched_sizes_starts_from_a_classifier_of_other_labels(csv_dataset, tiny_encoder, tmp_path):
    first = tmp_path / "six-classes"
    six_classes = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    train(model_args("bert", tiny_encoder), six_classes, tiny_training(first))
    two_classes = DataArguments(**imbalanced_files(tmp_path / "data"))
    with pytest.raises(ModelSetupError, match="has a classifier for other labels .* --ignore_mismatched_sizes true"):
        train(ModelArguments("bert", model_name_or_path=str(first)), two_classes, tiny_training(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    args = ModelArguments("bert", model_name_or_path=str(first), ignore_mismatched_sizes=True)
    train(args, two_classes, tiny_training(tmp_path / "out"))
    assert load_classifier(tmp_path / "out").labels == ["HUM", "NUM"]


def test_encoder_options_are_refused_for_families_trained_from_scratch(csv_dataset, tmp_path):
    with pytest.raises(ModelSetupError, match=r"\['trust_remote_code'\] apply to pretrained encoders"):
        train(
            ModelArguments("cnn", trust_remote_code=True),
            DataArguments(train_file=csv_dataset["train"]),
            tiny_training(tmp_path / "out"),
        )


def test_a_predict_file_of_another_format_is_refused_before_training(csv_dataset, tmp_path):
    path = tmp_path / "new.label"
    path.write_text("NUM:count How many planets ?\n")
    with pytest.raises(DataError, match="--predict_file .*new.label: give a .csv, .json, .jsonl, .parquet file"):
        load_data(DataArguments(train_file=csv_dataset["train"], predict_file=str(path)))


def test_true_labels_are_written_in_the_order_predictions_are():
    """The training summary compares them as text: "sport|tech" and "tech|sport" are the same labels."""
    features = Features({"text": Value("string"), "label": Sequence(ClassLabel(names=["politics", "sport", "tech"]))})
    split = Dataset.from_dict({"text": ["a", "b"], "label": [[2, 1], [0]]}, features=features)
    assert label_texts(split) == ["sport|tech", "politics"]
