"""benchmarks/load_test.py --soak against a stand-in app (tests/soak_stub_app.py) whose /batch stops answering after
the warm-up and whose other endpoints fill an unread stderr pipe in a few calls: the soak still ends by itself, within
its SECONDS plus --timeout, and prints its figures. The soak of the real Space: tests/test_space.py."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
LOAD_TEST = TESTS.parent / "benchmarks" / "load_test.py"
STUB_APP = TESTS / "soak_stub_app.py"
SECONDS, TIMEOUT, CLIENTS = 3, 10, 4  # a call takes about 2 s on a busy 2-core machine
BOUND = 360  # seconds for it all: starting the stub (minutes on a busy machine), warm-up, soak, stopping the stub
# load_test.py's main(), serving the stub instead of the Space app
RUN_WITH_STUB = (
    "import importlib.util, sys\n"
    f"spec = importlib.util.spec_from_file_location('load_test', {str(LOAD_TEST)!r})\n"
    "load_test = importlib.util.module_from_spec(spec)\n"
    "spec.loader.exec_module(load_test)\n"
    f"load_test.APP = [{str(STUB_APP)!r}]\n"
    "sys.exit(load_test.main(sys.argv[1:]))\n"
)
ENDPOINT_LINE = re.compile(r"^  (/\w+) +(\d+) calls  (\d+) errors  p50 \d+ ms  p99 \d+ ms$", re.MULTILINE)


def test_a_soak_whose_calls_never_answer_ends_by_itself_with_its_figures():
    command = [sys.executable, "-c", RUN_WITH_STUB, "--models", "a,b", "--soak", str(SECONDS)]
    command += ["--timeout", str(TIMEOUT), "--concurrency", str(CLIENTS), "--requests", "1000000000"]
    env = {**os.environ, "STUB_BATCH_ANSWERS": str(CLIENTS)}  # the warm-up calls /batch once per client
    # A session of its own: a soak that overran is killed with the app it started.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True
    )
    try:
        stdout, stderr = process.communicate(timeout=BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise AssertionError(
            f"the soak was still running after {BOUND} s; it printed {process.communicate()[0]!r}"
        ) from None
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr  # 1: some calls failed
    summary = re.match(
        r"soak: \d+ requests served, (\d+) errors, 4 clients, (\d+) s \(first error: (.*)\)$",
        result.stdout,
        re.MULTILINE,
    )
    assert summary, result.stdout + result.stderr
    endpoints = {name: (int(calls), int(errors)) for name, calls, errors in ENDPOINT_LINE.findall(result.stdout)}
    assert endpoints.keys() == {"/predict", "/explain", "/compare", "/batch"}, result.stdout
    # The chatty endpoints answered throughout: the app's stderr is not a pipe that fills up and blocks it.
    assert all(calls > 0 and errors == 0 for name, (calls, errors) in endpoints.items() if name != "/batch")
    # Every /batch call got no answer, was given up after --timeout and counted.
    batch_calls, batch_errors = endpoints["/batch"]
    assert 1 <= batch_calls == batch_errors == int(summary[1]), result.stdout
    assert summary[3] == f"/batch: TimeoutError: no answer within {TIMEOUT} s"
    assert int(summary[2]) <= SECONDS + TIMEOUT + 2, result.stdout
    assert "resident memory:" in result.stdout
