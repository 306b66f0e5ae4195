"""Surviving faults: SIGKILL then resume, Ctrl-C checkpoints, no silent overwrite, and fuzzed input never crashes.

Refusals before training (a used or unwritable output_dir, an overwrite with bad data or options) are cases of
test_bad_inputs.py's table, which runs them all in one process."""

import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from transformers import pipeline

import seqclf_hf  # noqa: F401  (registers the custom families for pipeline())
from seqclf_hf.arguments import DataArguments
from seqclf_hf.build import train_tokenizer
from seqclf_hf.data import load_data
from seqclf_hf.errors import DataError

REPO = Path(__file__).resolve().parents[1]
TRAIN_SCRIPT = REPO / "recipes" / "train.py"
# Batch size 2 on 48 questions: 24 optimizer steps an epoch, a checkpoint every 5, so a kill lands mid-epoch.
RUN_FLAGS = [
    "--model", "lstm", "--embedding_dim", "8", "--hidden_sizes", "8", "--num_train_epochs", "3",
    "--per_device_train_batch_size", "2", "--eval_strategy", "steps", "--eval_steps", "5", "--save_strategy", "steps",
    "--save_steps", "5", "--save_total_limit", "100", "--logging_strategy", "steps", "--logging_steps", "5",
]  # fmt: skip
LOSS_TOLERANCE = 1e-4  # CPU float32: a resumed run replays the same batches and dropout masks


def start_run(files, output_dir, *extra, python=(sys.executable,), progress_bars=False):
    """The recipe in a child process, its output in pipes; `progress_bars`: leave tqdm as a user's shell has it."""
    data = ["--train_file", files["train"], "--validation_file", files["validation"], "--test_file", files["test"]]
    command = [*python, str(TRAIN_SCRIPT), *RUN_FLAGS, *data, "--output_dir", str(output_dir), *extra]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    if progress_bars:
        env.pop("TQDM_DISABLE")
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def finish(process, timeout=300):
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout + stderr


# 300 s: on a busy machine the child's imports alone took a minute and checkpoint 10 came after 120 s
def wait_for_checkpoint(output_dir: Path, step: int, process, timeout=300):
    marker = output_dir / f"checkpoint-{step}" / "trainer_state.json"
    deadline = time.monotonic() + timeout
    while not marker.is_file():
        assert process.poll() is None, "the run ended before its checkpoint"
        assert time.monotonic() < deadline, f"no {marker} after {timeout} s"
        time.sleep(0.02)


def final_metrics(output_dir: Path) -> dict:
    return json.loads((output_dir / "metrics.json").read_text())


@pytest.fixture(scope="module")
def files(tmp_path_factory, make_dataset):
    return make_dataset(tmp_path_factory.mktemp("faults"))


@pytest.fixture(scope="module")
def uninterrupted(files, tmp_path_factory):
    output_dir = tmp_path_factory.mktemp("uninterrupted") / "out"
    code, log = finish(start_run(files, output_dir))
    assert code == 0, log[-3000:]
    return final_metrics(output_dir)


def test_sigkill_then_resume_reaches_the_uninterrupted_result(files, uninterrupted, resume_evidence, tmp_path):
    snapshot, assert_resumed = resume_evidence
    output_dir = tmp_path / "out"
    process = start_run(files, output_dir)
    wait_for_checkpoint(output_dir, 10, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (output_dir / "metrics.json").exists()  # it really died before finishing
    killed = snapshot(output_dir)
    code, log = finish(start_run(files, output_dir, "--resume_from_checkpoint", "auto"))
    assert code == 0, log[-3000:]
    assert_resumed(log, killed, output_dir)  # training is deterministic: a fresh start would reach the same metrics
    resumed = final_metrics(output_dir)
    assert resumed["eval_accuracy"] == uninterrupted["eval_accuracy"]
    assert resumed["test_accuracy"] == uninterrupted["test_accuracy"]
    assert abs(resumed["eval_loss"] - uninterrupted["eval_loss"]) < LOSS_TOLERANCE


def test_ctrl_c_saves_a_checkpoint_and_says_how_to_resume(files, tmp_path):
    output_dir = tmp_path / "out"
    process = start_run(files, output_dir)
    wait_for_checkpoint(output_dir, 5, process)
    process.send_signal(signal.SIGINT)
    code, log = finish(process)
    assert code == 130, log[-3000:]
    assert "--resume_from_checkpoint auto" in log
    steps = [int(path.name.split("-")[1]) for path in output_dir.glob("checkpoint-*")]
    assert max(steps) > 5  # saved at the step it stopped, not just the last scheduled checkpoint
    code, log = finish(start_run(files, output_dir, "--resume_from_checkpoint", "auto", progress_bars=True))
    assert code == 0, log[-3000:]
    last = max(steps)
    assert f"Resuming from checkpoint {output_dir / f'checkpoint-{last}'} (step {last})." in log
    # Output to a pipe or a file, not a terminal: no progress bars, so no `[A` / carriage-return fragments.
    assert "\x1b[A" not in log and "\r" not in log and "it/s]" not in log, log[-3000:]


ODD_TEXTS = [
    "",
    " \t\n ",
    "\x00\x01\x1b[31m",
    "🙂🚀 what is this ?",
    "Как называется столица России ?",
    "首都是哪里？",
    "مرحبا كيف حالك",
    "e\u0301\u200b\u200d\ufeff",
    "\ud7ff\ue000\U0010ffff",
    "word " * 5000,
]


def random_texts(count: int, seed: int = 0) -> list[str]:
    generator = random.Random(seed)
    alphabet = [chr(code) for code in (*range(0, 0x250), *range(0x4E00, 0x4E40), *range(0x1F600, 0x1F640))]
    return [
        "".join(generator.choice(alphabet) for _ in range(generator.randint(0, 60))).replace("\ud800", "")
        for _ in range(count)
    ]


def test_fuzzed_text_through_pipeline_never_crashes(make_model, make_rows, tmp_path):
    tokenizer = train_tokenizer([row["text"] for row in make_rows(8)], "word", 100)
    tokenizer.model_max_length = 32
    for family in ("lstm", "cnn", "transformer", "manual-rnn"):
        model = make_model(family, vocab_size=len(tokenizer))
        model.save_pretrained(tmp_path / family)
        tokenizer.save_pretrained(tmp_path / family)
        classify = pipeline("text-classification", model=str(tmp_path / family), truncation=True)
        texts = ODD_TEXTS + random_texts(50)
        predictions = classify(texts)
        assert len(predictions) == len(texts)
        assert all(0 <= prediction["score"] <= 1 for prediction in predictions)


def fuzzed_question(generator: random.Random, raw: bool) -> bytes:
    """A question with up to 40 random bytes (`raw`) or characters (UTF-8) in the middle: anything but the line
    breaks that would split the line."""
    length = generator.randint(0, 40)
    if raw:
        fuzz = bytes(generator.choice([*range(0x0A), *range(0x0B, 0x0D), *range(0x0E, 256)]) for _ in range(length))
    else:
        characters = [*range(0x0A), *range(0x0B, 0x0D), *range(0x0E, 0xD800), *range(0xE000, 0x110000)]
        fuzz = "".join(chr(generator.choice(characters)) for _ in range(length)).encode()
    return b"What is " + fuzz + b" ?"


def test_fuzzed_bytes_inside_valid_lines_load_as_their_text(tmp_path):
    """Every line is `COARSE:fine question`, the question holding random bytes or characters: each trial loads, and
    each question comes out as its bytes decoded, invalid UTF-8 replaced with U+FFFD, nothing dropped or cut."""
    generator = random.Random(1)
    replaced = 0
    for trial in range(30):
        questions = [fuzzed_question(generator, raw=trial % 2 == 0) for _ in range(6)]
        labels = [b"DESC", b"NUM"] * 3
        lines = [b"%s:other %s" % (label, question) for label, question in zip(labels, questions, strict=True)]
        path = tmp_path / f"fuzz{trial}.label"
        path.write_bytes(b"\n".join(lines))
        dataset = load_data(DataArguments(train_file=str(path), validation_split_percentage=50))
        loaded = [*dataset["train"]["text"], *dataset["validation"]["text"]]
        expected = [question.decode("utf-8", errors="replace") for question in questions]
        assert sorted(loaded) == sorted(expected)
        replaced += any("\ufffd" in text for text in expected)
    assert replaced == 15  # the raw trials: both the valid and the replaced branch of the decoding ran


def test_random_byte_lines_through_the_loader_fail_cleanly(tmp_path):
    generator = random.Random(1)
    for trial in range(30):
        lines = [b"DESC:def What is a fuzz test ?", b"NUM:count How many bytes ?"]
        lines += [bytes(generator.randrange(256) for _ in range(generator.randint(0, 40))) for _ in range(5)]
        path = tmp_path / f"fuzz{trial}.label"
        path.write_bytes(b"\n".join(lines))
        with pytest.raises(DataError, match="expected 'COARSE:fine question text'"):
            load_data(DataArguments(train_file=str(path), validation_split_percentage=50))


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file below `folder`: equal digests mean byte-for-byte the same tree."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def earlier_run(files, tmp_path_factory):
    """A finished run, to be replaced."""
    output_dir = tmp_path_factory.mktemp("earlier") / "out"
    code, log = finish(start_run(files, output_dir, "--num_train_epochs", "1"))
    assert code == 0, log[-3000:]
    return output_dir


def test_a_killed_overwrite_leaves_the_earlier_run_and_resumes_into_its_place(
    files, earlier_run, resume_evidence, tmp_path
):
    snapshot, assert_resumed = resume_evidence
    output_dir, incomplete = tmp_path / "out", tmp_path / "out.incomplete"
    shutil.copytree(earlier_run, output_dir)
    before = tree_digest(output_dir)
    process = start_run(files, output_dir, "--overwrite_output_dir", "true")
    wait_for_checkpoint(incomplete, 10, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert tree_digest(output_dir) == before  # the earlier run is whole while the new one is unfinished
    killed = snapshot(incomplete)
    code, log = finish(start_run(files, output_dir, "--resume_from_checkpoint", "auto"))
    assert code == 0, log[-3000:]
    assert_resumed(log, killed, incomplete, now_in=output_dir)
    assert final_metrics(output_dir)["global_step"] == 72  # the new run's 3 epochs, not the earlier run's 1
    assert not (tmp_path / "out.incomplete").exists() and not (tmp_path / "out.replaced").exists()


def test_a_finished_overwrite_replaces_the_earlier_run(files, earlier_run, tmp_path):
    output_dir = tmp_path / "out"
    shutil.copytree(earlier_run, output_dir)
    (output_dir / "notes-from-the-earlier-run.txt").write_text("replaced with the run")
    code, log = finish(start_run(files, output_dir, "--overwrite_output_dir", "true", "--num_train_epochs", "1"))
    assert code == 0, log[-3000:]
    assert not (output_dir / "notes-from-the-earlier-run.txt").exists()
    assert (output_dir / "model.safetensors").is_file() and final_metrics(output_dir)["global_step"] == 24
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


# recipes/train.py with the disk full at one moment of the run: `python -c FAIL recipes/train.py ARGS`.
FAIL = """
import errno, runpy, sys
import transformers
from seqclf_hf import training

def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, "No space left on device")

save_checkpoint = transformers.Trainer._save_checkpoint

def _save_checkpoint(self, *args, **kwargs):
    if self.state.global_step >= 10:
        disk_full()
    return save_checkpoint(self, *args, **kwargs)

if sys.argv[1] == "checkpoint":
    transformers.Trainer._save_checkpoint = _save_checkpoint
else:
    training.save_full_model = disk_full
sys.argv = sys.argv[2:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@pytest.mark.parametrize("moment", ["checkpoint", "final-save"])
def test_a_failure_mid_overwrite_leaves_the_earlier_run_and_says_so_in_one_line(files, earlier_run, tmp_path, moment):
    output_dir = tmp_path / "out"
    shutil.copytree(earlier_run, output_dir)
    before = tree_digest(output_dir)
    failing = (sys.executable, "-c", FAIL, moment)
    epochs = ["--num_train_epochs", "1"] if moment == "final-save" else []
    process = start_run(files, output_dir, "--overwrite_output_dir", "true", *epochs, python=failing)
    code, log = finish(process)
    assert code == 1 and "Traceback" not in log, log[-3000:]
    assert log.splitlines()[-1].startswith("error: The run stopped: [Errno 28] No space left on device."), log[-3000:]
    assert f"{output_dir} still holds the earlier run" in log.splitlines()[-1]
    assert tree_digest(output_dir) == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "out.incomplete"]  # its checkpoints, to resume
