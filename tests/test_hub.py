"""Sharing: the model card, the exact files a push uploads, offline failure that keeps the run, no tokens anywhere."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from huggingface_hub import ModelCard, metadata_load
from transformers import AutoModelForSequenceClassification, TrainingArguments

from seqclf_hf.arguments import DataArguments, ModelArguments, RunArguments
from seqclf_hf.errors import ConfigError
from seqclf_hf.hub import PushError, build_model_card, files_to_push, push_output_dir
from seqclf_hf.training import train

FAKE_TOKEN = "hf_seqclfTestTokenThatMustNeverBeWritten"
SHAREABLE = {
    "README.md",
    "config.json",
    "model.safetensors",
    "tokenizer.json",
    "tokenizer_config.json",
    "metrics.json",
    "run_args.json",
    "confusion_eval.png",
    "confusion_test.png",
    "training_curve.png",
    "modeling_rnn.py",
    "configuration_rnn.py",
    "modeling_utils.py",
    "configuration_utils.py",
}


def tiny_run(output_dir: Path, data: dict, **training):
    model_args = ModelArguments(model_family="lstm", train_tokenizer="word", embedding_dim=8, hidden_sizes=[8])
    data_args = DataArguments(train_file=data["train"], validation_file=data["validation"], test_file=data["test"])
    training_args = TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=2,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        metric_for_best_model="accuracy",
        report_to="none",
        **training,
    )
    return train(model_args, data_args, training_args, RunArguments())


@pytest.fixture(scope="module")
def output_dir(tmp_path_factory, make_dataset):
    """A finished tiny LSTM run, trained with a (fake) HF_TOKEN in the environment."""
    root = tmp_path_factory.mktemp("hub")
    patch = pytest.MonkeyPatch()
    patch.setenv("HF_TOKEN", FAKE_TOKEN)
    tiny_run(root / "out", make_dataset(root / "data"))
    patch.undo()
    return root / "out"


def test_push_uploads_exactly_the_shareable_files(output_dir):
    assert set(files_to_push(output_dir)) == SHAREABLE
    assert list(output_dir.glob("checkpoint-*")) and (output_dir / "training_args.bin").is_file()  # kept locally


def test_card_metadata_parses_and_matches_metrics(output_dir):
    metadata = metadata_load(output_dir / "README.md")
    assert metadata["library_name"] == "transformers" and metadata["pipeline_tag"] == "text-classification"
    metrics = json.loads((output_dir / "metrics.json").read_text())
    results = ModelCard.load(output_dir / "README.md").data.eval_results
    reported = {(r.dataset_split, r.metric_type): r.metric_value for r in results}
    assert reported == {
        ("validation", "accuracy"): metrics["eval_accuracy"],
        ("validation", "f1"): metrics["eval_macro_f1"],
        ("test", "accuracy"): metrics["test_accuracy"],
        ("test", "f1"): metrics["test_macro_f1"],
    }


def test_card_describes_model_data_results_and_use(output_dir):
    text = (output_dir / "README.md").read_text()
    metrics = json.loads((output_dir / "metrics.json").read_text())
    for expected in ("hidden_sizes", "confusion_test.png", "training_curve.png", "trust_remote_code=True", "NUM"):
        assert expected in text
    assert f"{metrics['test_accuracy']:.4f}" in text
    assert "train.csv" in text and "Limitations" in text


def test_no_token_in_anything_pushed(output_dir):
    for name in files_to_push(output_dir):
        assert FAKE_TOKEN.encode() not in (output_dir / name).read_bytes(), name


def test_checkpoints_carry_the_model_code(output_dir):
    checkpoint = sorted(output_dir.glob("checkpoint-*"))[0]
    assert (checkpoint / "modeling_rnn.py").is_file() and (checkpoint / "configuration_rnn.py").is_file()
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint)
    assert model.config.model_type == "seqclf_rnn"


def test_offline_push_fails_clearly_and_keeps_the_output(output_dir, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    before = sorted(p.name for p in output_dir.iterdir())
    with pytest.raises(PushError, match="Nothing was lost") as raised:
        push_output_dir(output_dir, "someone/tiny-lstm")
    assert "python -m seqclf_hf.push" in str(raised.value)
    assert sorted(p.name for p in output_dir.iterdir()) == before


def test_push_command_reports_error_without_traceback(output_dir, tmp_path):
    env = {"HF_HUB_OFFLINE": "1", "HF_TOKEN": FAKE_TOKEN, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    command = [sys.executable, "-m", "seqclf_hf.push", str(output_dir), "someone/tiny-lstm"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "error:" in result.stderr
    assert FAKE_TOKEN not in result.stderr + result.stdout


def test_push_to_hub_offline_fails_before_training(tmp_path, make_dataset, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    data = make_dataset(tmp_path / "data")
    with pytest.raises(PushError, match="seqclf_hf.push"):
        tiny_run(tmp_path / "out", data, push_to_hub=True, hub_model_id="someone/tiny-lstm")
    assert not (tmp_path / "out" / "model.safetensors").exists()


def test_hub_token_flag_is_refused(tmp_path, make_dataset):
    with pytest.raises(ConfigError, match="HF_TOKEN"):
        tiny_run(tmp_path / "out", make_dataset(tmp_path / "data"), hub_token=FAKE_TOKEN)


def test_card_puts_the_baselines_next_to_the_results(output_dir):
    metrics = json.loads((output_dir / "metrics.json").read_text())
    rows = [line for line in (output_dir / "README.md").read_text().splitlines() if line.startswith("| ")]
    for split, prefix in (("validation", "eval"), ("test", "test")):
        for name, title in (("majority", "majority class"), ("tfidf", "TF-IDF + linear")):
            accuracy, macro_f1 = (metrics[f"baseline_{name}_{prefix}_{metric}"] for metric in ("accuracy", "macro_f1"))
            assert f"| {split}, {title} | {accuracy:.4f} | {macro_f1:.4f} |  |" in rows


def test_card_names_a_collapsed_model(output_dir, tmp_path):
    copy = tmp_path / "collapsed"
    shutil.copytree(output_dir, copy, ignore=shutil.ignore_patterns("checkpoint-*"))
    metrics = json.loads((copy / "metrics.json").read_text())
    cause = "validation: it predicts one class for every text of a split that has 6"
    metrics.update({"collapsed": True, "collapse_causes": [cause]})
    (copy / "metrics.json").write_text(json.dumps(metrics))
    text = build_model_card(copy).text
    assert "**This model looks collapsed**" in text and f"- {cause}" in text
