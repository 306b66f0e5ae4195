"""One run per output_dir: a second one is refused at once, a killed run's lock is taken over."""

import logging
import os
import signal
import subprocess
import sys

import pytest

from seqclf_hf.errors import ConfigError
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
