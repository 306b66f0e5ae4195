"""Tiny training runs shared by the tests: model options per family, training options, task-shaped rows."""

import json

from transformers import TrainingArguments

from seqclf_hf.arguments import DataArguments, ModelArguments
from seqclf_hf.training import train

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


def tiny_bow_run(root, make_dataset) -> tuple:
    """A finished tiny bow run in `root`/out (its checkpoints kept) and the DataArguments it was trained with."""
    files = make_dataset(root / "data", "csv", sizes={"train": 4, "validation": 1})
    data_args = DataArguments(train_file=files["train"], validation_file=files["validation"])
    train(model_args("bow", ""), data_args, tiny_training(root / "out"))
    return root / "out", data_args


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


def imbalanced_files(directory) -> dict:
    """12 questions of one class and 4 of another in train; one of each in validation."""
    directory.mkdir(exist_ok=True)
    train, validation = directory / "train.csv", directory / "validation.csv"
    train.write_text("text,label\n" + "".join(f"how many {i} ?,NUM\n" for i in range(12)))
    with train.open("a") as handle:
        handle.write("".join(f"who is {i} ?,HUM\n" for i in range(4)))
    validation.write_text("text,label\nhow many moons ?,NUM\nwho is she ?,HUM\n")
    return {"train_file": str(train), "validation_file": str(validation)}
