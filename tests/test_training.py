"""The run (training.py): the training texts' token lengths said before training, --max_seq_length auto, and the
warning when a fixed length cuts many texts."""

import json
import logging
import math

import pytest
from tiny_runs import model_args, tiny_training, write_jsonl

from seqclf_hf.arguments import DataArguments
from seqclf_hf.errors import ConfigError
from seqclf_hf.training import train


def long_files(tmp_path, make_rows) -> dict:
    """Questions repeated 1 to 4 times: lengths from ~8 to ~40 tokens."""
    rows = [{**row, "text": " ".join([row["text"]] * (1 + index % 4))} for index, row in enumerate(make_rows(10))]
    return {"train_file": write_jsonl(tmp_path / "train.jsonl", rows)}


def test_auto_length_is_the_95th_percentile_said_and_saved_with_the_model(tmp_path, make_rows, caplog):
    caplog.set_level(logging.INFO)
    output_dir = tmp_path / "out"
    data_args = DataArguments(**long_files(tmp_path, make_rows), max_seq_length="auto")
    metrics, _ = train(model_args("lstm", ""), data_args, tiny_training(output_dir))
    picked = metrics["max_seq_length"]
    assert picked == math.ceil(metrics["train_tokens_p95"]) < metrics["train_tokens_max"]
    assert f"--max_seq_length auto: {picked} tokens" in caplog.text
    assert json.loads((output_dir / "tokenizer_config.json").read_text())["model_max_length"] == picked
    assert json.loads((output_dir / "run_args.json").read_text())["data"]["max_seq_length"] == picked
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert not [message for message in warnings if "are cut" in message]  # 5% are cut: below the warning's tenth


def test_a_length_that_cuts_many_texts_is_a_warning_naming_the_fixes(tmp_path, make_rows, caplog):
    caplog.set_level(logging.INFO)
    data_args = DataArguments(**long_files(tmp_path, make_rows), max_seq_length=12)
    metrics, _ = train(model_args("lstm", ""), data_args, tiny_training(tmp_path / "out"))
    assert metrics["train_texts_truncated"] > 0.1 * metrics["train_samples"]
    assert metrics["train_tokens_median"] > 12 and metrics["max_seq_length"] == 12
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any("--max_seq_length auto" in message and "--long_text chunk" in message for message in warnings)


def test_max_seq_length_takes_a_number_or_auto():
    assert DataArguments(max_seq_length="64").max_seq_length == 64
    with pytest.raises(ConfigError, match="--max_seq_length 'many'"):
        DataArguments(max_seq_length="many")
