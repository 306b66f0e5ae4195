"""The Space as a person uses it: `python space/app.py` over two small models trained on the shipped sample questions
and a multi-label one, driven in Debian's Chromium by Playwright. Type and classify, explain, compare, upload a CSV and
download the predictions, be told off for an empty or oversized text.

Each tab's screenshot goes to the test's tmp dir, or to SPACE_SCREENSHOTS=folder (`make space-screenshot` refreshes
space/screenshot.png from there)."""

import csv
import os
import runpy
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from seqclf_hf import train
from seqclf_hf.build import train_tokenizer
from seqclf_hf.run_layout import THRESHOLD_KEY

sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package: make setup")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    pytest.skip("needs Debian's chromium: apt-get install -y chromium (.ci/run installs it)", allow_module_level=True)

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "space" / "app.py"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    # Offline machines: without these Chromium keeps trying hosts it cannot reach.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_TIMEOUT = 180  # seconds: the app imports torch, transformers and gradio and loads three models
WAIT = 60_000  # milliseconds for one answer on the page, on a busy 2-core CI machine
LABELS = {"ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"}
MULTI_SCORES = {"ENTY": 0.9, "HUM": 0.7, "short": 0.2}
QUESTION = "Who invented the telephone?"
# Tiny but trained: a few epochs on the 360 sample questions.
RECIPES = {
    "lstm": {"embedding_dim": 16, "hidden_sizes": [16], "num_train_epochs": 4, "learning_rate": 2e-2},
    "cnn": {"embedding_dim": 16, "num_filters": 8, "num_train_epochs": 3, "learning_rate": 2e-2},
}


# The load-test script's server helpers, shared rather than copied (space/ is no package: run the file).
load_test = runpy.run_path(str(REPO_ROOT / "benchmarks" / "load_test.py"))


def multi_label_model(folder: Path, make_model, make_rows) -> Path:
    """A tiny multi-label TextCNN saved as training saves one, scoring every text MULTI_SCORES: two of its labels
    above its threshold of 0.5, one below (a random model's scores all sit at 50%, too close to tell apart)."""
    words = train_tokenizer([row["text"] for row in make_rows(14)], "word", 100)
    labels = {"id2label": dict(enumerate(MULTI_SCORES)), "label2id": {name: i for i, name in enumerate(MULTI_SCORES)}}
    multi_label = {"problem_type": "multi_label_classification", "num_labels": len(MULTI_SCORES), **labels}
    model = make_model("cnn", vocab_size=len(words), **multi_label)
    with torch.no_grad():
        model.classifier.weight.zero_()
        model.classifier.bias.copy_(torch.logit(torch.tensor(list(MULTI_SCORES.values()))))
    setattr(model.config, THRESHOLD_KEY, 0.5)
    model.save_pretrained(folder)
    words.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def models(tmp_path_factory, make_model, make_rows) -> dict[str, Path]:
    outputs = tmp_path_factory.mktemp("browser-models")
    trained = {
        family: train(model=family, dataset_name="sample", output_dir=str(outputs / family), **options).output_dir
        for family, options in RECIPES.items()
    }
    return {**trained, "multi": multi_label_model(outputs / "multi", make_model, make_rows)}


@pytest.fixture(scope="module")
def app_url(models, tmp_path_factory):
    """`python space/app.py` serving the models, as a user starts it."""
    log_path = tmp_path_factory.mktemp("browser-app") / "app.log"
    port = load_test["free_port"]()
    env = {
        **os.environ,
        "SEQCLF_MODELS": ",".join(str(path) for path in models.values()),
        "GRADIO_SERVER_PORT": str(port),
        "GRADIO_ANALYTICS_ENABLED": "False",
        "HF_HUB_OFFLINE": "1",
    }
    with log_path.open("w") as log:
        process = subprocess.Popen([sys.executable, str(APP)], cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}/"
    try:
        load_test["wait_for_server"](process, url, STARTUP_TIMEOUT, log_path.read_text)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("SPACE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.goto(app_url)
    yield page
    context.close()


def classify(page, text: str, model: str | None = None) -> None:
    """Type `text` (pick `model` in the dropdown), click Classify and wait for the explanation, which comes last."""
    if model is not None:
        page.locator("#model input").click()
        page.get_by_role("option", name=model).click()
    page.locator("#text textarea").fill(text)
    page.locator("#classify").click()


def shown_label(page) -> str:
    heading = page.locator("#probabilities [data-testid='label-output-value']")
    heading.wait_for()
    return heading.inner_text().strip()


def bar_scores(where) -> dict[str, float]:
    """The label bars gr.Label draws in the locator `where`: {label: the percentage written next to it}."""
    bars = where.locator("[data-testid$='-confidence-set']")
    bars.first.wait_for()
    return {
        bar.locator("dt").inner_text().strip(): float(bar.locator("dd").inner_text().strip().rstrip("%"))
        for bar in bars.all()
    }


def test_classify_shows_the_label_its_scores_and_the_words_that_drove_it(page, screenshots):
    classify(page, QUESTION)
    label, scores = shown_label(page), bar_scores(page.locator("#probabilities"))
    assert set(scores) == LABELS and label == max(scores, key=scores.get)
    assert 97 <= sum(scores.values()) <= 103  # whole percentages of probabilities that add up to 1
    words = page.locator("#highlights span.token.highlighted")
    words.first.wait_for()
    assert "".join(page.locator("#highlights .textfield").inner_text().split()) == "".join(QUESTION.split())
    assert any("rgb" in word.get_attribute("style") for word in words.all())  # coloured by their scores
    explanation = page.locator("#explanation")
    assert explanation.inner_text().startswith(f"{label} — ")  # the class's meaning in words
    assert page.locator("#notice").inner_text().strip() == ""
    page.wait_for_timeout(500)  # the highlight colours fade in
    page.screenshot(path=str(screenshots / "classify.png"), full_page=True)


def test_an_empty_question_is_asked_for(page):
    classify(page, "   ")
    page.get_by_text("Type a question").wait_for()
    assert page.locator("#probabilities [data-testid$='-confidence-set']").count() == 0


def test_an_oversized_question_is_cut_and_the_page_says_so(page):
    classify(page, "How many moons does Mars have ? " * 1000)  # 32,000 characters
    notice = page.locator("#notice")
    notice.get_by_text("truncated").wait_for()
    assert "32,000 characters long" in notice.inner_text()
    assert set(bar_scores(page.locator("#probabilities"))) == LABELS


def test_a_multi_label_model_shows_its_labels_above_the_threshold(page):
    classify(page, QUESTION, "multi")
    page.locator("#explanation").get_by_text("predicts every label it scores above 50%").wait_for()
    assert bar_scores(page.locator("#probabilities")) == {name: 100 * score for name, score in MULTI_SCORES.items()}
    assert shown_label(page) == "ENTY, HUM"  # the two above 50%, not the best one alone


def test_compare_two_models(page, screenshots):
    page.get_by_role("tab", name="Compare models").click()
    page.locator("#compare-models").get_by_label("multi").uncheck()
    page.locator("#compare").click()
    # One gr.Label per compared model, titled with its latency, its three best labels.
    labels = page.locator(".block:has([data-testid='label-output-value'])").filter(visible=True)
    labels.nth(1).wait_for()
    titles = [label.locator("[data-testid='block-label']").inner_text() for label in labels.all()]
    assert [title.split(" — ")[0].strip() for title in titles] == ["lstm", "cnn"]
    assert all(len(bar_scores(label)) == 3 and set(bar_scores(label)) <= LABELS for label in labels.all())
    table = page.locator("#compare-table").inner_text()
    assert "lstm" in table and "cnn" in table and "multi" not in table
    page.screenshot(path=str(screenshots / "compare.png"), full_page=True)


def test_batch_upload_and_download(page, tmp_path, screenshots):
    questions = ["Who wrote Hamlet?", "How far is the Moon?", "What does NASA stand for?"]
    upload = tmp_path / "questions.csv"
    upload.write_text("id,question\n" + "".join(f"{i},{text}\n" for i, text in enumerate(questions)))
    page.get_by_role("tab", name="Batch").click()
    page.locator("#batch-file input[type=file]").set_input_files(str(upload))
    page.get_by_role("button", name="Classify file").click()
    page.get_by_text("Classified 3 questions").wait_for()
    link = page.locator("a[data-testid='download-link'][href$='/questions_predictions.csv']")
    with page.expect_download() as download:
        link.click()
    saved = tmp_path / "downloaded.csv"
    download.value.save_as(saved)
    with saved.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["question"] for row in rows] == questions
    assert all(row["prediction"] in LABELS for row in rows)
    assert {f"score_{label}" for label in LABELS} <= set(rows[0])
    page.screenshot(path=str(screenshots / "batch.png"), full_page=True)


def test_about_lists_the_classes(page, screenshots):
    page.get_by_role("tab", name="About").click()
    page.get_by_text("The 6 classes").wait_for()
    for label in LABELS:
        assert page.get_by_role("cell", name=label, exact=True).count() == 1
    page.screenshot(path=str(screenshots / "about.png"), full_page=True)
