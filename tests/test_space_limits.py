"""The Space's limits are environment settings with defaults; a bad one is a one-line error at start."""

import importlib
import os
import subprocess
import sys

from seqclf_hf.space import app

LIMITS = {
    "SEQCLF_MAX_CHARS": "300",
    "SEQCLF_MAX_BATCH_ROWS": "7",
    "SEQCLF_MAX_UPLOAD_MB": "2",
    "SEQCLF_CONCURRENCY": "3",
    "SEQCLF_MAX_QUEUE": "5",
}


def test_the_limits_come_from_the_environment(monkeypatch):
    for name, value in LIMITS.items():
        monkeypatch.setenv(name, value)
    try:
        limited = importlib.reload(app)
        assert (limited.MAX_INPUT_CHARS, limited.MAX_BATCH_ROWS, limited.MAX_UPLOAD) == (300, 7, "2mb")
        assert limited.BATCH_OPTIONS.max_rows == 7
        assert limited.model_input("x" * 1000)[2] == 1000 and len(limited.model_input("x" * 1000)[0]) == 300
        demo = limited.build_demo({}, [], "")
        assert (demo._queue.default_concurrency_limit, demo._queue.max_size) == (3, 5)
    finally:
        monkeypatch.undo()
        importlib.reload(app)
    assert (app.MAX_INPUT_CHARS, app.MAX_BATCH_ROWS, app.MAX_UPLOAD, app.MAX_QUEUE) == (20_000, 5_000, "10mb", 64)


def test_a_limit_that_is_not_a_number_is_a_one_line_error():
    env = {**os.environ, "SEQCLF_MAX_QUEUE": "lots"}
    result = subprocess.run(
        [sys.executable, "-m", "seqclf_hf.cli", "space"], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "error: SEQCLF_MAX_QUEUE='lots': give a whole number above 0 (default 64)."
