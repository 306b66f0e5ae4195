"""The Space's limits are environment settings with defaults; a bad one is a one-line error at start; going over the
upload size or the queue length gives a message and the app goes on serving."""

import importlib
import os
import runpy
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from seqclf_hf.build import train_tokenizer
from seqclf_hf.space import app

load_test = runpy.run_path(str(Path(__file__).resolve().parents[1] / "benchmarks" / "load_test.py"))

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


# Going over a limit of Gradio's own (upload size, queue length) against the launched app: a message, and the app
# still serves.

UPLOAD_MB, QUEUE = 1, 1


@pytest.fixture(scope="module")
def limited_app(make_model, make_rows, tmp_path_factory):
    """`python -m seqclf_hf.space.app` over a tiny model, with uploads of at most 1 MB, one request of each endpoint
    served at a time and one request waiting in all."""
    folder = tmp_path_factory.mktemp("limits-model")
    tokenizer = train_tokenizer([row["text"] for row in make_rows(4)], "word", vocab_size=100)
    make_model("bow", vocab_size=len(tokenizer)).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    limits = {"SEQCLF_MAX_UPLOAD_MB": UPLOAD_MB, "SEQCLF_CONCURRENCY": 1, "SEQCLF_MAX_QUEUE": QUEUE}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in {**limits, "HF_HUB_OFFLINE": 1}.items():
            patch.setenv(name, str(value))
        process, url = load_test["start_app"](str(folder))
    try:
        yield url
    finally:
        load_test["stop_app"](process)


def upload(url: str, content: bytes) -> httpx.Response:
    """The upload the page makes when a file is dropped on the Batch tab."""
    files = {"files": ("questions.txt", content, "text/plain")}
    return httpx.post(url + "gradio_api/upload", files=files, timeout=60)


def batch_input(url: str, content: bytes) -> dict:
    (path,) = upload(url, content).raise_for_status().json()
    return {"path": path, "meta": {"_type": "gradio.FileData"}}


def classify_file(url: str, file: dict) -> str:
    """/batch on an uploaded file through the REST API; returns its note, or the refusal's message."""
    client = load_test["RestClient"](url)
    try:
        return client.predict(file, api_name="/batch")[2]
    except httpx.HTTPStatusError as refusal:
        return f"{refusal.response.status_code}: {refusal.response.json()['detail']}"
    finally:
        client.close()


def test_an_upload_over_the_size_limit_is_refused_with_a_message(limited_app):
    refusal = upload(limited_app, b"Who wrote Hamlet?\n" * (UPLOAD_MB * 2**20 // 18 + 1))
    assert refusal.status_code == 413, refusal.text
    assert refusal.text == f"File size exceeded maximum allowed size of {UPLOAD_MB * 2**20} bytes."
    note = classify_file(limited_app, batch_input(limited_app, b"Who wrote Hamlet?\n"))
    assert note.startswith("Classified 1 text "), note  # the next upload is classified: nothing stuck


def test_calls_over_the_queue_limit_are_refused_with_a_message(limited_app):
    file = batch_input(limited_app, b"Who wrote Hamlet? And where did he live, and when?\n" * 5000)
    with ThreadPoolExecutor(max_workers=6) as pool:  # one served, one waiting, the rest over the limit
        answers = list(pool.map(lambda _: classify_file(limited_app, file), range(6)))
    refused = [answer for answer in answers if answer.startswith("503")]
    assert refused and all(answer.startswith("503: Queue is full. Max size is 1") for answer in refused), answers
    assert all(answer.startswith("Classified 5,000 texts") for answer in answers if answer not in refused), answers
    assert classify_file(limited_app, file).startswith(
        "Classified 5,000 texts"
    )  # served again once the queue has room
