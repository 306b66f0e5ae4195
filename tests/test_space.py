"""The Gradio Space (seqclf_hf/space/app.py): `build_demo` over tiny models of several kinds (an attention-pooled
BiLSTM, a TextCNN, a BERT encoder, a LoRA adapter) saved to disk as training saves them, served in this process and
called through gradio_client and its REST API; `python space/app.py` itself. In a real browser:
tests/test_browser.py."""

import csv
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import huggingface_hub
import pytest
import safetensors
import safetensors.torch
import transformers.modeling_utils
from transformers import BertConfig, BertForSequenceClassification

import seqclf_hf.space.runs
from seqclf_hf import cli
from seqclf_hf.arguments import PeftArguments
from seqclf_hf.build import train_tokenizer
from seqclf_hf.errors import ModelSetupError
from seqclf_hf.inference import Classifier
from seqclf_hf.peft_setup import apply_peft, save_peft_outputs
from seqclf_hf.space import app, presentation

gradio_client = pytest.importorskip("gradio_client")
gradio = pytest.importorskip("gradio")

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "space" / "app.py"
MAX_LENGTH = 32  # tokens the tiny models read: long texts are cut
MODEL_NAMES = ("tiny-bert", "tiny-cnn", "tiny-lora", "tiny-lstm")  # the output folders, in the order they load
STARTUP_TIMEOUT = 180  # an app that imports torch and gradio on a busy 2-core machine
# A short soak's memory growth is mostly the first calls' allocations (the 10-minute run's goal is 10%)
MAX_SOAK_MEMORY_GROWTH = 0.25


def import_script(name: str, path: Path):
    """A module from a script file (space/app.py, benchmarks/), which is not in a package."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# The load-test script's server helpers, shared rather than copied.
load_test = import_script("space_load_test", REPO_ROOT / "benchmarks" / "load_test.py")
free_port, wait_for_server, stop_app = load_test.free_port, load_test.wait_for_server, load_test.stop_app


@pytest.fixture(scope="session")
def outputs_dir(tmp_path_factory, make_model, make_rows, trec_labels):
    """An outputs/ folder as training runs leave it: tiny-lstm (attention pooling), tiny-cnn and tiny-bert whole,
    tiny-lora a LoRA adapter on a TextCNN; tiny-cnn.incomplete a run still being written, tiny-lstm.replaced the run
    it replaces, notes no run at all."""
    outputs = tmp_path_factory.mktemp("outputs")
    texts = [row["text"] for row in make_rows(14)]
    words = train_tokenizer(texts, "word", 100)
    pieces = train_tokenizer(texts, "wordpiece", 100)  # words split into pieces: explanations merge them back
    for tokenizer in (words, pieces):
        tokenizer.model_max_length = MAX_LENGTH
    labels = {"id2label": dict(enumerate(trec_labels)), "label2id": {label: i for i, label in enumerate(trec_labels)}}
    bert = BertConfig(
        vocab_size=len(pieces),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        **labels,
    )
    models = {
        "tiny-lstm": (
            make_model("lstm", vocab_size=len(words), pooling="attention", attention_dim=8, **labels),
            words,
        ),
        "tiny-cnn": (make_model("cnn", vocab_size=len(words), **labels), words),
        "tiny-bert": (BertForSequenceClassification(bert), pieces),
    }
    for name, (model, tokenizer) in models.items():
        model.save_pretrained(outputs / name)
        tokenizer.save_pretrained(outputs / name)
    # What train.py saves for --peft lora: the adapter, the tokenizer, labels.json and the random base it adapts.
    adapter = apply_peft(make_model("cnn", vocab_size=len(words), **labels), PeftArguments(peft="lora"), "cnn")
    adapter.save_pretrained(outputs / "tiny-lora")
    words.save_pretrained(outputs / "tiny-lora")
    save_peft_outputs(adapter, words, outputs / "tiny-lora", merge_lora=False)
    shutil.copytree(outputs / "tiny-cnn", outputs / "tiny-cnn.incomplete")
    shutil.copytree(outputs / "tiny-lstm", outputs / "tiny-lstm.replaced")
    (outputs / "notes").mkdir()
    return outputs


@pytest.fixture(scope="session")
def loaded(outputs_dir):
    """load_classifiers() of the runs in outputs_dir and of a folder and a Hub id it cannot load, which it must survive
    (the Hub offline: not cached, the id fails at once)."""
    sources = [str(path) for path in seqclf_hf.space.runs.finished_runs(outputs_dir)] + [
        "/no/such/model",
        "nobody/no-model",
    ]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
        return seqclf_hf.space.runs.load_classifiers(sources, app.WARM_UP_TEXT)


@pytest.fixture(scope="session")
def server(loaded):
    """The app over the tiny models, served in this process; yields its URL."""
    demo = app.build_demo(*loaded, origin="the test's outputs/")
    demo.launch(server_port=free_port(), prevent_thread_lock=True, quiet=True, max_file_size=app.MAX_UPLOAD)
    yield demo.local_url
    demo.close()


@pytest.fixture(scope="session")
def client(server):
    return gradio_client.Client(server, verbose=False)


def confidences(label_output) -> dict[str, float]:
    """gr.Label's output as {label: probability}."""
    return {item["label"]: item["confidence"] for item in label_output["confidences"]}


def assert_distribution(label_output, labels) -> dict[str, float]:
    probabilities = confidences(label_output)
    assert set(probabilities) == set(labels)
    assert math.isclose(sum(probabilities.values()), 1.0, abs_tol=1e-4)
    assert all(0.0 <= p <= 1.0 for p in probabilities.values())
    assert label_output["label"] == max(probabilities, key=probabilities.get)
    return probabilities


# --------------------------------------------------------------------------------------------------------------
# /predict
# --------------------------------------------------------------------------------------------------------------


def test_api_lists_the_endpoints(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {"/predict", "/explain", "/compare", "/batch"} <= set(endpoints)


@pytest.mark.parametrize("model", [None, *MODEL_NAMES])
def test_predict_returns_label_probabilities(client, trec_labels, model):
    args = ("Who invented the telephone?",) if model is None else ("Who invented the telephone?", model)
    label, note = client.predict(*args, api_name="/predict")
    assert_distribution(label, trec_labels)
    assert note == ""


@pytest.mark.parametrize(
    "text", ["", "   ", " \n\t  ", " \u200b\u200d\ufeff "], ids=["empty", "spaces", "whitespace", "zero-width"]
)
def test_predict_empty_text_asks_for_a_question(client, text):
    label, note = client.predict(text, api_name="/predict")
    assert not label or not label.get("confidences")
    assert "Type a question" in note


def test_predict_truncates_100k_characters_and_says_so(client, trec_labels):
    text = "How many moons does Mars have ? " * 3200  # 102,400 characters
    text = text[:100_000]
    label, note = client.predict(text, api_name="/predict")
    assert_distribution(label, trec_labels)
    assert "truncated" in note and "100,000 characters" in note and f"{MAX_LENGTH} tokens" in note


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("😀🎉🚀 ?", ""),
        ("Где находится Эйфелева башня?", "⚠️ 4 of the 5 tokens are not in tiny-bert's vocabulary"),
        ("東京タワーはどこにありますか？", "⚠️ 4 of the 4 tokens are not in tiny-bert's vocabulary"),
        ("ما هي عاصمة مصر؟", "⚠️ 5 of the 5 tokens are not in tiny-bert's vocabulary"),
        ("Who\x00 invented\x07 the\x1b telephone\x7f?", "⚠️ Control characters were replaced by spaces."),
        ("What does 👨‍👩‍👧 mean ?", ""),
    ],
    ids=["emoji", "cyrillic", "japanese", "arabic", "control", "zwj-emoji"],
)
def test_predict_unusual_text(client, trec_labels, text, note):
    label, shown = client.predict(text, api_name="/predict")
    assert_distribution(label, trec_labels)
    assert shown.startswith(note) and bool(shown) == bool(note), shown


def test_predict_mostly_unknown_words_says_it_is_a_guess(client):
    _, note = client.predict("😀🎉🚀 ✨🌈", api_name="/predict")
    assert "vocabulary" in note and "guess" in note


def test_predict_unknown_model_is_a_clean_error(client):
    with pytest.raises(gradio_client.exceptions.AppError, match="not in the list of choices"):
        client.predict("Who invented the telephone?", "no-such-model", api_name="/predict")


def rest_call(url: str, endpoint: str, data: list) -> list:
    """Gradio's REST API, as curl would use it: POST the inputs, read the result from the event stream."""
    body = json.dumps({"data": data})  # ASCII JSON: lone surrogates travel as \\ud800 escapes
    base = url.rstrip("/") + "/gradio_api/call/" + endpoint
    response = httpx.post(base, content=body, headers={"Content-Type": "application/json"}, timeout=30)
    response.raise_for_status()
    event_id = response.json()["event_id"]
    event = None
    with httpx.stream("GET", f"{base}/{event_id}", timeout=30) as stream:
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                assert event == "complete", line
                return json.loads(line.split(":", 1)[1])
    raise AssertionError("no complete event")


def test_rest_api_and_lone_surrogates(server, trec_labels):
    label, note = rest_call(server, "predict", ["Who wrote \ud800 Hamlet?\udfff", "tiny-cnn"])
    assert_distribution(label, trec_labels)
    assert "lone surrogates" in note


# --------------------------------------------------------------------------------------------------------------
# /explain
# --------------------------------------------------------------------------------------------------------------


def scores_of(highlights) -> list[float]:
    return [piece["class_or_confidence"] for piece in highlights if piece["class_or_confidence"] is not None]


def test_explain_attention_pooled_lstm(client, trec_labels):
    question = "Where is the Eiffel Tower located?"
    markdown, highlights = client.predict(question, "tiny-lstm", api_name="/explain")
    assert "attention" in markdown
    assert markdown.split("###", 1)[1].split("—")[0].strip() in trec_labels
    assert "".join(piece["token"] for piece in highlights) == question
    assert len(scores_of(highlights)) == 7  # six words and "?"
    assert all(0.0 <= score <= 1.0 for score in scores_of(highlights))


@pytest.mark.parametrize("model", ["tiny-cnn", "tiny-bert", "tiny-lora"])
def test_explain_gradient_times_input(client, model):
    question = "How many legs does a spider have?"
    markdown, highlights = client.predict(question, model, api_name="/explain")
    assert "gradient × input" in markdown
    assert "".join(piece["token"] for piece in highlights) == question  # a word's pieces are one word
    assert len(scores_of(highlights)) == 8  # seven words and "?"
    assert all(-1.0 <= score <= 1.0 for score in scores_of(highlights))
    assert max(abs(score) for score in scores_of(highlights)) == 1.0


def test_explain_says_what_the_class_means(client):
    question = "What is the capital of Peru?"
    markdown, _ = client.predict(question, api_name="/explain")
    titles = {"ABBR": "Abbreviation", "DESC": "Description", "ENTY": "Entity", "HUM": "Human", "LOC": "Location"}
    titles["NUM"] = "Numeric value"
    label, _ = client.predict(question, api_name="/predict")
    best, second = sorted(confidences(label), key=confidences(label).get, reverse=True)[:2]
    assert markdown.startswith(f"### {best} — {titles[best]}: the question asks for "), markdown
    assert f"Runner-up: **{second}** (" in markdown and f"%, {titles[second]})." in markdown, markdown


def test_explain_long_and_empty_text(client):
    markdown, highlights = client.predict("word " * 20_000, "tiny-cnn", api_name="/explain")
    assert highlights[-1]["class_or_confidence"] is None and "not read by the model" in highlights[-1]["token"]
    assert client.predict("  ", api_name="/explain") == ("", [])


# --------------------------------------------------------------------------------------------------------------
# /compare
# --------------------------------------------------------------------------------------------------------------


def test_compare_models_side_by_side(client, trec_labels):
    table, note = client.predict("How tall is the Statue of Liberty?", list(MODEL_NAMES), api_name="/compare")
    rows = [dict(zip(table["headers"], row, strict=True)) for row in table["data"]]
    assert [row["model"] for row in rows] == list(MODEL_NAMES)
    for row in rows:
        assert row["prediction"] in trec_labels
        assert row["latency_ms"] > 0
        assert math.isclose(sum(row[label] for label in trec_labels), 1.0, abs_tol=1e-3)
        assert row["confidence"] == max(row[label] for label in trec_labels)
    assert note == ""


def test_compare_defaults_and_bad_input(client):
    table, _ = client.predict("Who wrote Hamlet?", api_name="/compare")  # every loaded model
    assert len(table["data"]) == len(MODEL_NAMES)
    table, note = client.predict("", list(MODEL_NAMES), api_name="/compare")
    assert table["data"] == [] and "Type a question" in note
    table, note = client.predict("Who wrote Hamlet?", [], api_name="/compare")
    assert table["data"] == [] and "Tick at least one model" in note
    table, note = client.predict("x " * 50_000, ["tiny-cnn"], api_name="/compare")
    assert len(table["data"]) == 1 and "truncated" in note


# --------------------------------------------------------------------------------------------------------------
# /batch
# --------------------------------------------------------------------------------------------------------------


def test_batch_csv_gives_a_downloadable_csv(client, tmp_path, trec_labels):
    upload = tmp_path / "questions.csv"
    upload.write_text('id,Question\n1,Who wrote Hamlet?\n2,""\n3,"How many legs, roughly, does a spider have?"\n')
    preview, download, note = client.predict(gradio_client.handle_file(str(upload)), "", api_name="/batch")
    assert "Classified 2 questions" in note and "1 of the 3 rows have no text" in note
    assert [row[0] for row in preview["data"]][0] == "Who wrote Hamlet?"
    with open(download, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == ["1", "2", "3"]
    assert rows[0]["prediction"] in trec_labels and rows[1]["prediction"] == ""  # the columns seqclf-hf predict writes
    assert math.isclose(sum(float(rows[2][f"score_{label}"]) for label in trec_labels), 1.0, abs_tol=1e-3)


def test_batch_txt_and_named_column(client, tmp_path):
    upload = tmp_path / "questions.txt"
    upload.write_text("Who wrote Hamlet?\n\nWhere is Rome?\n" + "very long " * 5000 + "\n")
    _, download, note = client.predict(gradio_client.handle_file(str(upload)), "", "tiny-cnn", api_name="/batch")
    assert "Classified 3 questions" in note and "truncated" in note and download
    named = tmp_path / "named.csv"
    named.write_text("id;prompt\n1;Who wrote Hamlet?\n")
    _, download, note = client.predict(gradio_client.handle_file(str(named)), "prompt", api_name="/batch")
    assert "Classified 1 question " in note and download


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("no_text.csv", "id,foo\n1,bar\n", "No text column found"),
        ("missing.csv", "id,text\n1,Who?\n", "no column 'body'"),
        ("empty.csv", "", "empty.csv is empty"),
        ("header_only.csv", "text\n", "holds no rows"),
        ("binary.csv", "\x00\x01\x02", "NUL bytes"),
    ],
)
def test_batch_bad_files_explain_themselves(client, tmp_path, name, content, message):
    upload = tmp_path / name
    upload.write_text(content)
    column = "body" if name == "missing.csv" else ""
    preview, download, note = client.predict(gradio_client.handle_file(str(upload)), column, api_name="/batch")
    assert download is None and message in note


def test_batch_rejects_other_file_types(client, tmp_path):
    upload = tmp_path / "questions.json"
    upload.write_text('["Who wrote Hamlet?"]')
    with pytest.raises(gradio_client.exceptions.AppError, match="Invalid file type"):
        client.predict(gradio_client.handle_file(str(upload)), "", api_name="/batch")


def test_batch_without_a_file(client):
    _, download, note = client.predict(None, "", api_name="/batch")
    assert download is None and "Upload" in note


# --------------------------------------------------------------------------------------------------------------
# Problem types: several labels per text, a number
# --------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def task_endpoints(make_model, make_rows):
    """Endpoints over a tiny multi-label TextCNN whose saved threshold lies between its scores for QUESTION (so it
    predicts some labels and not others), and a tiny regression BiLSTM."""
    words = train_tokenizer([row["text"] for row in make_rows(14)], "word", 100)
    names = {
        "id2label": {0: "ENTY", 1: "HUM", 2: "short"},
        "label2id": {"ENTY": 0, "HUM": 1, "short": 2},
        "num_labels": 3,
    }
    multi = make_model("cnn", vocab_size=len(words), problem_type="multi_label_classification", **names)
    regression = make_model("lstm", vocab_size=len(words), problem_type="regression", num_labels=1)
    models = {name: Classifier(name, model.eval(), words) for name, model in (("multi", multi), ("value", regression))}
    scores = models["multi"].probabilities([QUESTION])[0]
    multi.config.multi_label_threshold = round(float(scores.min() + scores.max()) / 2, 6)
    return app.Endpoints(models)


QUESTION = "Who wrote Hamlet?"


def test_a_multi_label_model_predicts_every_label_above_its_threshold(task_endpoints):
    label, _ = task_endpoints.predict(QUESTION, "multi")
    classifier = task_endpoints.models["multi"]
    scores = dict(zip(classifier.labels, classifier.probabilities([QUESTION])[0].tolist(), strict=True))
    chosen = [name for name, score in scores.items() if score > classifier.threshold]
    assert 0 < len(chosen) < 3 and label["label"] == ", ".join(chosen)
    assert {item["label"]: item["confidence"] for item in label["confidences"]} == pytest.approx(scores)
    markdown, _ = task_endpoints.explain(QUESTION, "multi")
    assert markdown.startswith(f"### {', '.join(chosen)}") and f"above {classifier.threshold:.0%}" in markdown


def test_a_regression_shows_its_value_alone(task_endpoints):
    label, _ = task_endpoints.predict(QUESTION, "value")
    value = task_endpoints.models["value"].probabilities([QUESTION])[0, 0].item()
    assert label == {"label": f"{value:.6g}"}  # no confidences: a number is no class
    markdown, words = task_endpoints.explain(QUESTION, "value")
    assert markdown.startswith(f"### {value:.6g}") and "a higher value" in markdown and words


def test_compare_and_batch_follow_the_problem_type(task_endpoints, tmp_path):
    table, _ = task_endpoints.compare(QUESTION)
    rows = {row["model"]: row for row in table.to_dict("records")}
    multi_label, _ = task_endpoints.predict(QUESTION, "multi")
    value = task_endpoints.models["value"].probabilities([QUESTION])[0, 0].item()
    assert rows["multi"]["prediction"].replace("|", ", ") == multi_label["label"]
    assert rows["value"]["prediction"] == f"{value:.6g}" and rows["value"]["meaning"] == ""
    assert rows["multi"]["confidence"] is None and rows["value"]["confidence"] is None  # no one label's probability
    upload = tmp_path / "questions.csv"
    upload.write_text(f"question\n{QUESTION}\n")
    preview, download, _ = task_endpoints.classify_batch(str(upload), "", "multi")
    with open(download, newline="") as handle:
        (row,) = csv.DictReader(handle)
    assert list(row) == ["question", "prediction", "score_ENTY", "score_HUM", "score_short"]
    assert row["prediction"].replace("|", ", ") == multi_label["label"]
    assert list(preview.columns) == ["text", "prediction"]


# --------------------------------------------------------------------------------------------------------------
# Load
# --------------------------------------------------------------------------------------------------------------


def test_50_concurrent_requests_all_succeed(server, trec_labels):
    """50 requests in flight at once, one gradio_client.Client per thread (a Client shared by many threads loses
    the odd request to a race inside gradio_client, not in the app)."""
    barrier = threading.Barrier(50)

    def call(index):
        client = gradio_client.Client(server, verbose=False)
        try:
            barrier.wait(timeout=60)  # connected: now all 50 at once
            started = time.perf_counter()
            label, _ = client.predict(f"Question {index}: who invented the telephone?", api_name="/predict")
            return label, time.perf_counter() - started
        finally:
            client.close()

    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(call, range(50)))
    assert len(results) == 50
    for label, _ in results:
        assert_distribution(label, trec_labels)
    latencies = sorted(seconds for _, seconds in results)
    print(f"50 concurrent requests: p50 {latencies[24] * 1000:.0f} ms, slowest {latencies[-1] * 1000:.0f} ms")


# --------------------------------------------------------------------------------------------------------------
# Which models, loaded how
# --------------------------------------------------------------------------------------------------------------


def test_outputs_lists_whole_models_and_adapters_but_no_run_in_progress(outputs_dir):
    assert [path.name for path in seqclf_hf.space.runs.finished_runs(outputs_dir)] == list(MODEL_NAMES)


def test_every_run_loads_and_the_bad_ones_are_reported(loaded, trec_labels):
    models, errors = loaded
    assert list(models) == list(MODEL_NAMES)
    assert models["tiny-lora"].labels == list(trec_labels)  # from labels.json: the base model's config has none
    assert [source for source, _ in errors] == ["/no/such/model", "nobody/no-model"]
    assert "no such folder" in errors[0][1]
    assert "not in the local cache" in errors[1][1]


def test_importing_the_app_opens_no_model_file(monkeypatch, outputs_dir):
    """Whatever would load a model at import (load_classifier, pipeline(), from_pretrained, torch.load, safetensors)
    opens a file of its folder: no file under outputs/ is opened, from Python ("open" audit events) or through
    safetensors' Rust reader."""
    monkeypatch.setenv("SEQCLF_MODELS", ",".join(str(outputs_dir / name) for name in MODEL_NAMES))
    opened, watching = [], [True]

    def watch(event, args):
        if watching and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
            opened.append(Path(os.fsdecode(args[0])).absolute())

    def safe_open(path, *args, **kwargs):
        opened.append(Path(path).absolute())
        raise AssertionError(f"safetensors opened {path} at import")

    for module in (safetensors, safetensors.torch, transformers.modeling_utils):
        monkeypatch.setattr(module, "safe_open", safe_open)
    sys.addaudithook(watch)  # an audit hook cannot be removed: this one goes idle below
    try:
        packaged = importlib.reload(app)
        entry = import_script("space_entry_imported", APP)  # the Space's own app.py
    finally:
        watching.clear()
    models = outputs_dir.absolute()
    assert [path for path in opened if models in path.parents] == []
    assert callable(packaged.build_demo) and callable(entry.launch)


def test_default_models_come_from_outputs(monkeypatch, tmp_path):
    monkeypatch.delenv("SEQCLF_MODELS", raising=False)
    monkeypatch.delenv("SPACE_ID", raising=False)
    monkeypatch.setattr(app, "OUTPUTS_DIR", tmp_path / "outputs")
    assert app.model_sources()[0] == []
    for name, config in (("cnn", "config.json"), ("demo-lstm", "config.json"), ("bert-lora", "adapter_config.json")):
        (tmp_path / "outputs" / name).mkdir(parents=True)
        (tmp_path / "outputs" / name / config).write_text("{}")
    assert [Path(source).name for source in app.model_sources()[0]] == ["demo-lstm", "bert-lora", "cnn"]
    monkeypatch.setenv("SEQCLF_MODELS", " a/b , ./c ,")
    assert app.model_sources()[0] == ["a/b", "./c"]


def test_space_readme_front_matter(monkeypatch, tmp_path):
    front_matter = (REPO_ROOT / "space" / "README.md").read_text().split("---")[1]
    for key in ("sdk: gradio", "sdk_version:", "app_file: app.py", "models:"):
        assert key in front_matter
    # On a Space, with no SEQCLF_MODELS and no outputs/, the README's models are the default.
    monkeypatch.delenv("SEQCLF_MODELS", raising=False)
    monkeypatch.setenv("SPACE_ID", "user/space")
    monkeypatch.setattr(app, "OUTPUTS_DIR", tmp_path / "outputs")
    models = app.model_sources(REPO_ROOT / "space" / "README.md")[0]
    assert models and all(model.count("/") == 1 for model in models) and all(model in front_matter for model in models)


def test_no_model_tells_how_to_train_one():
    demo = app.build_demo({}, [("/no/such/model", "no such folder")])
    label, note = demo("Who wrote Hamlet?", None, api_name="predict")
    assert label in ({}, None) or not label.get("confidences")
    assert "No model is loaded" in note and "make demo" in note and "/no/such/model" in note
    endpoints = app.Endpoints({}, [])
    assert "No model is loaded" in endpoints.compare("Who wrote Hamlet?")[1]
    assert "No model is loaded" in endpoints.classify_batch(None)[2]
    assert "No model is loaded" in endpoints.explain("Who wrote Hamlet?")[0]


def test_a_model_that_cannot_explain_says_so_in_the_explanation():
    class Exported:  # as seqclf_hf.inference.OnnxClassifier: it classifies, and explain() refuses
        labels = ["HUM", "LOC"]

        def explain(self, text):
            raise ModelSetupError("outputs/lstm/onnx is an ONNX export, which has no gradients")

    markdown, words = app.Endpoints({"exported": Exported()}, []).explain("Who wrote Hamlet?", "exported")
    assert "ONNX export" in markdown and words == []


def start_app(models: str, log_path: Path) -> tuple[subprocess.Popen, str]:
    """`python space/app.py` (the Space's entry) serving SEQCLF_MODELS on a free port, once it answers; returns the
    process and URL."""
    port = free_port()
    env = {**os.environ, "SEQCLF_MODELS": models, "GRADIO_SERVER_PORT": str(port), "GRADIO_ANALYTICS_ENABLED": "False"}
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, str(APP)], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    wait_for_server(process, url, STARTUP_TIMEOUT, log_path.read_text)
    return process, url


def test_the_script_serves_the_models_it_is_given(outputs_dir, tmp_path, trec_labels):
    process, url = start_app(f"{outputs_dir / 'tiny-lora'},/no/such/model", tmp_path / "app.log")
    try:
        label, note = rest_call(url, "predict", ["Who wrote Hamlet?", "tiny-lora"])
    finally:
        stop_app(process)
    assert_distribution(label, trec_labels)
    assert note == ""
    assert "Could not load /no/such/model: no such folder" in (tmp_path / "app.log").read_text()


@pytest.fixture(scope="module")
def sentiment_model(make_model, make_rows) -> dict[str, Classifier]:
    """A tiny TextCNN of another task (sentiment: negative / positive), by its display name."""
    words = train_tokenizer([row["text"] for row in make_rows(14)], "word", 100)
    labels = {"id2label": {0: "negative", 1: "positive"}, "label2id": {"negative": 0, "positive": 1}}
    model = make_model("cnn", vocab_size=len(words), num_labels=2, **labels)
    return {"reviews-cnn": Classifier("reviews-cnn", model.eval(), words)}


def test_a_task_without_content_is_presented_in_its_models_words(sentiment_model, tmp_path):
    """No content file and no TREC labels: the title and classes come from the models, in neutral words; nothing on
    the page or in an answer speaks of questions or of TREC's classes."""
    demo = app.build_demo(sentiment_model)
    page = json.dumps(demo.get_config_file())  # every component's label, placeholder, value and Markdown
    assert "# Text classifier: reviews-cnn" in page and "**negative**, **positive**" in page
    assert "| **negative** | reviews-cnn |" in page  # the About tab's classes: which model predicts each
    endpoints = app.Endpoints(sentiment_model)
    upload = tmp_path / "reviews.txt"
    upload.write_text("Loved it.\nHated it.\n")
    answers = [
        endpoints.predict("")[1],
        endpoints.explain("Loved every minute of it.")[0],
        endpoints.compare("Loved every minute of it.")[0].to_json(),
        endpoints.classify_batch(None)[2],
        endpoints.classify_batch(str(upload))[2],
    ]
    assert answers[0] == "✏️ Type a text to classify it." and answers[4].startswith("Classified 2 texts from")
    trec = presentation.read_content(presentation.TREC_CONTENT)
    for shown in (page, *answers):
        assert "question" not in shown.lower() and trec.title not in shown
        assert not any(name in shown or meaning in shown for name, meaning in trec.labels.values())


def test_the_trec_content_for_trec_labels_and_a_content_file_for_another_task(loaded, sentiment_model, tmp_path):
    models, _ = loaded
    trec = presentation.choose_content(models)
    assert trec.title == "What is this question asking for?" and trec.noun == "question"
    assert presentation.choose_content({**sentiment_model, **models}) == trec  # one TREC model among others
    assert app.Endpoints(models).predict("")[1] == "✏️ Type a question (or click an example) to classify it."
    content = tmp_path / "sentiment.yaml"
    content.write_text(
        "title: Is this review positive?\ndescription: Sentiment.\ninput_name: Review\nplaceholder: e.g. Great!\n"
        "labels:\n  positive: [Positive, a review that liked it]\nexamples: [Loved it., Hated it.]\n"
    )
    given = presentation.read_content(content)
    assert given.title == "Is this review positive?" and given.noun == "review"
    assert [given.meaning("positive"), given.meaning("negative")] == [
        "Positive: a review that liked it.",
        "class negative of this model",
    ]
    page = json.dumps(app.build_demo(sentiment_model, content=given).get_config_file())
    assert "Is this review positive?" in page and "Example reviews" in page and "Loved it." in page
    content.write_text("title: Only a title\n")
    with pytest.raises(SystemExit) as error:
        presentation.read_content(content)
    assert str(error.value) == (
        f"error: {content} lacks description, input_name, placeholder, labels, examples: give every key that "
        "seqclf_hf/space/trec.yaml has."
    )


def test_the_command_serves_the_runs_it_names_from_any_folder(outputs_dir, tmp_path, trec_labels):
    """`seqclf-hf space RUN RUN --port N`, started in a folder that is no clone: the app ships with the package."""
    port, log_path = free_port(), tmp_path / "space.log"
    runs = [str(outputs_dir / "tiny-cnn"), "/no/such/model"]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "seqclf_hf.cli", "space", *runs, "--port", str(port)]
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_server(process, url, STARTUP_TIMEOUT, log_path.read_text)
        label, _ = rest_call(url, "predict", ["Who wrote Hamlet?", "tiny-cnn"])
        page = httpx.get(url, timeout=30).text
    finally:
        stop_app(process)
    assert_distribution(label, trec_labels)
    assert "What is this question asking for?" in page  # TREC's words: the model predicts TREC's classes
    assert "Could not load /no/such/model: no such folder" in log_path.read_text()


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--prot", "8000"], "error: unknown option --prot (did you mean --port?). --help lists the options."),
        (["--port", "http"], "error: argument --port: invalid int value: 'http'. --help lists the options."),
        (["--content", "/no/such.yaml"], "error: the content file /no/such.yaml does not exist. Give a file like "),
    ],
    ids=["unknown-option", "bad-port", "no-content-file"],
)
def test_the_commands_bad_options_are_one_line_before_loading(monkeypatch, argv, message):
    monkeypatch.setattr(app, "load_classifiers", lambda *args, **kwargs: pytest.fail("loaded models"))
    with pytest.raises(SystemExit) as error:
        cli.main(["space", *argv])
    assert str(error.value).startswith(message)


def test_the_command_passes_runs_port_share_and_content_to_gradio(monkeypatch, sentiment_model, tmp_path):
    launched = {}
    monkeypatch.setattr(app, "load_classifiers", lambda sources, *args, **kwargs: (sentiment_model, []))
    monkeypatch.setattr(gradio.Blocks, "launch", lambda demo, **options: launched.update(options, demo=demo))
    app.main(["outputs/reviews-cnn", "--port", "8123", "--share"])
    assert launched["server_port"] == 8123 and launched["share"] is True
    assert launched["demo"].title == "Text classifier · seqclf-hf"  # no content file, no TREC labels
    content = tmp_path / "reviews.yaml"
    content.write_text(
        "title: Is this review positive?\ndescription: Sentiment.\ninput_name: Review\nplaceholder: e.g. Great!\n"
        "labels: {}\nexamples: [Loved it.]\n"
    )
    app.main(["outputs/reviews-cnn", "--content", str(content)])
    assert launched["demo"].title == "Review classifier · seqclf-hf" and launched["share"] is False


def test_a_short_soak_of_every_endpoint_has_no_errors(outputs_dir, monkeypatch):
    """benchmarks/load_test.py --soak, as CI affords it: 8 clients for 15 s on two tiny models, every endpoint
    called (the 64-client, 10-minute run and its figures: docs/benchmarks.md). Whether the app stops and a soak
    ends when calls hang: tests/test_load_test.py."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    models = [str(outputs_dir / name) for name in ("tiny-lstm", "tiny-cnn")]
    process, url = load_test.start_app(",".join(models))
    try:
        stats = load_test.soak(process, url, ["tiny-lstm", "tiny-cnn"], 15, 100_000, 8, timeout=60)
    finally:
        stop_app(process)
    load_test.print_soak(stats)
    assert stats["errors"] == 0, stats["first_error"]
    assert all(endpoint["calls"] > 0 for endpoint in stats["endpoints"].values()), stats["endpoints"]
    assert stats["rss_growth"] < MAX_SOAK_MEMORY_GROWTH, stats
