"""The same recipe in two CPU processes (DDP over gloo) through `accelerate launch`."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

from transformers import pipeline

import seqclf_hf  # noqa: F401  (registers the custom families for pipeline())

REPO = Path(__file__).resolve().parents[1]
ACCELERATE = Path(sys.executable).parent / "accelerate"  # the one installed next to this interpreter
PER_DEVICE_BATCH, EPOCHS, PROCESSES = 4, 2, 2


def test_two_process_cpu_ddp_run_matches_a_single_process_layout(make_dataset, tmp_path):
    files = make_dataset(tmp_path / "data")
    output_dir = tmp_path / "out"
    command = [
        str(ACCELERATE), "launch", "--config_file", str(REPO / "recipes/accelerate/cpu-ddp.yaml"),
        "--main_process_port", "29533", str(REPO / "recipes/train.py"), "--model", "lstm",
        "--embedding_dim", "8", "--hidden_sizes", "8", "--num_train_epochs", str(EPOCHS),
        "--per_device_train_batch_size", str(PER_DEVICE_BATCH), "--output_dir", str(output_dir),
        "--train_file", files["train"], "--validation_file", files["validation"], "--test_file", files["test"],
    ]  # fmt: skip
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]

    metrics = json.loads((output_dir / "metrics.json").read_text())
    train_size = metrics["train_samples"]
    assert metrics["world_size"] == PROCESSES
    assert metrics["effective_batch_size"] == PER_DEVICE_BATCH * PROCESSES
    # Each step consumed a batch from every process: half the steps of a single-process run.
    assert metrics["global_step"] == EPOCHS * math.ceil(train_size / (PER_DEVICE_BATCH * PROCESSES))
    # Only the main process reports and writes.
    assert log.count("Effective batch 8 = 4 per device x 2 process(es)") == 1
    assert log.count("Model, tokenizer, code") == 1
    classify = pipeline("text-classification", model=str(output_dir))
    assert classify("Where is Petra located ?")[0]["label"] in metrics["labels"]
