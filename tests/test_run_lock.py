"""One run per output_dir: a second one is refused at once, a killed run's lock is taken over."""

import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from seqclf_hf.errors import ConfigError
from seqclf_hf.inference import load_classifier
from seqclf_hf.run_lock import lock_path, output_dir_lock

HOLD_THE_LOCK = """
import sys, time
from seqclf_hf.run_lock import acquire
acquire(sys.argv[1])
print("locked", flush=True)
time.sleep(60)
"""


def test_a_second_run_into_the_same_folder_is_refused_while_the_first_holds_it(tmp_path):
    output_dir = tmp_path / "run"
    with output_dir_lock(output_dir):
        with pytest.raises(ConfigError) as refused:
            with output_dir_lock(output_dir):
                pass
        message = str(refused.value)
        assert "\n" not in message
        assert message.startswith(f"Another run (pid {os.getpid()} on ")
        assert f"is writing {output_dir}" in message
    assert not lock_path(output_dir).exists()  # released: the next run may start
    with output_dir_lock(output_dir):
        assert lock_path(output_dir).exists()


def test_a_killed_runs_lock_is_taken_over(tmp_path, caplog):
    output_dir = tmp_path / "run"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(output_dir)], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout.readline().strip() == "locked"
    with pytest.raises(ConfigError, match=f"pid {holder.pid} on "):
        with output_dir_lock(output_dir):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert lock_path(output_dir).exists()  # a SIGKILL runs no clean-up: the file stays
    with caplog.at_level(logging.INFO, logger="seqclf_hf.run_lock"):
        with output_dir_lock(output_dir):
            pass
    assert f"left by a run that ended without releasing it (pid {holder.pid} on " in caplog.text


def start_train(output_dir: Path) -> subprocess.Popen:
    """`seqclf-hf train` on the shipped sample questions: a few steps of the smallest family."""
    command = [sys.executable, "-m", "seqclf_hf.cli", "train", "--dataset_name", "sample", "--model", "bow"]
    command += ["--embedding_dim", "8", "--max_steps", "20", "--output_dir", str(output_dir), "--report_to", "none"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_two_trainings_started_at_once_into_one_new_folder_one_wins(tmp_path):
    output_dir = tmp_path / "run"
    runs = [start_train(output_dir) for _ in range(2)]
    stderrs = [run.communicate(timeout=300)[1] for run in runs]
    codes = [run.returncode for run in runs]
    assert sorted(codes)[0] == 0 and sorted(codes)[1] != 0, [stderr[-2000:] for stderr in stderrs]
    (refusal,) = [stderr for code, stderr in zip(codes, stderrs, strict=True) if code != 0]
    assert "Traceback" not in refusal
    (line,) = [line for line in refusal.splitlines() if line.startswith("error:")]
    assert line.startswith("error: Another run (pid ") and f"is writing {output_dir}" in line
    assert load_classifier(output_dir).predict("How far is the moon ?")[0]["label"]
    assert not lock_path(output_dir).exists()
