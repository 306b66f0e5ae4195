"""Gradio demo of seqclf-hf text classifiers (by default, TREC's questions: what kind of answer does a question ask
for?).

`build_demo(models)` builds the app over classifiers that `seqclf_hf.inference.load_classifier` loaded, in the words
of the task they were trained for (`presentation.choose_content`); it serves four endpoints:

- `/predict`  text (+ model) -> the prediction with every label's score, and a note when the text was empty, cut or
  unfamiliar; a multi-label model predicts every label above its threshold, a regression a number
- `/explain`  text (+ model) -> the prediction in words, and how much each word drove the decision
- `/compare`  text (+ models) -> one row per model: prediction, confidence, latency, every score
- `/batch`    a CSV / TXT file of texts (+ text column, model) -> preview, downloadable CSV, a note

`seqclf-hf space [RUN ...] [--port N] [--share] [--content YAML]` (or `python -m seqclf_hf.space.app`; on a Hugging
Face Space, the repository's space/app.py) loads the runs given, else the models named in `SEQCLF_MODELS`
(comma-separated Hub ids or local output directories; by default the runs in ./outputs, or on a Space the README's
`models:`) and serves them (port: `GRADIO_SERVER_PORT`, default 7860), in the words of the content file `--content`
or `SEQCLF_CONTENT` names when one is given.
Importing this module loads nothing.
"""

import dataclasses
import logging
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import pandas as pd
from huggingface_hub.repocard import metadata_load

from ..cli import CommandParser
from ..errors import ConfigError, DataError, UserInputError
from ..inference import Classifier, clean_text, has_visible_text
from ..predict import PredictOptions, predict_file
from . import presentation  # the predictions in words
from .presentation import Content, choose_content
from .runs import finished_runs, load_classifiers

logger = logging.getLogger("seqclf_space")


def env_int(name: str, default: int) -> int:
    """A limit the Space's host may set in the environment; a value that is not a whole number above 0 is a one-line
    error at start, not a Space that misbehaves later."""
    value = os.environ.get(name, str(default))
    if not value.isdigit() or int(value) == 0:
        raise ConfigError(f"{name}={value!r}: give a whole number above 0 (default {default}).")
    return int(value)


OUTPUTS_DIR = Path("outputs")  # where `make demo` and the recipes write, relative to the working directory
DEFAULT_PORT = 7860
MAX_DEFAULT_MODELS = 6  # output directories picked up from outputs/ when SEQCLF_MODELS is unset
# The Space's limits, each an environment setting (docs/space.md): going over one is a note or a message on the page.
MAX_INPUT_CHARS = env_int("SEQCLF_MAX_CHARS", 20_000)  # longer texts are cut before tokenizing; the model reads less
MAX_BATCH_ROWS = env_int("SEQCLF_MAX_BATCH_ROWS", 5_000)  # rows of an upload after these are left out, with a note
MAX_UPLOAD = f"{env_int('SEQCLF_MAX_UPLOAD_MB', 10)}mb"  # batch files; 5,000 short texts take well under 1 MB
CONCURRENCY = env_int("SEQCLF_CONCURRENCY", 4)  # requests served at once (Gradio's worker threads)
MAX_QUEUE = env_int("SEQCLF_MAX_QUEUE", 64)  # requests waiting beyond those; more are refused with a message
# How predict_file reads an upload: every label's score in the download, and the fix its errors name.
BATCH_OPTIONS = PredictOptions(
    batch_size=64,
    max_rows=MAX_BATCH_ROWS,
    every_score=True,
    how="the *Text column* box, or upload a .txt file with one text per line",
)
TOP_SCORES = 6  # label scores the Classify tab (and /predict) shows; the comparison shows 3 per model
# Each model classifies it once as it loads, before the task's words (and examples) are chosen from the models.
WARM_UP_TEXT = "A short text to check that the model runs."


# Which models, loaded how --------------------------------------------------------------------------------------------


def model_sources(space_readme: Path | None = None) -> tuple[list[str], str]:
    """The models to load, and where the list came from; on a Space, `space_readme` (its README.md) names them."""
    names = [name.strip() for name in os.environ.get("SEQCLF_MODELS", "").split(",") if name.strip()]
    if names:
        return names, "SEQCLF_MODELS"
    outputs = OUTPUTS_DIR.resolve()
    if found := sorted(finished_runs(outputs), key=lambda path: path.name != "demo-lstm"):  # make demo's first
        return [str(path) for path in found[:MAX_DEFAULT_MODELS]], f"the trained models in {outputs}"
    if os.environ.get("SPACE_ID") and space_readme:  # running as a Hugging Face Space: the models its README names
        return (metadata_load(space_readme) or {}).get("models", []), "the README's `models:` list"
    return [], "nothing (SEQCLF_MODELS is unset and outputs/ holds no trained model)"


# Text in -------------------------------------------------------------------------------------------------------------


def model_input(given) -> tuple[str, list[str], int]:
    """The text as the models get it (at most MAX_INPUT_CHARS, cleaned by `clean_text`), notes for the user, and its
    length as given."""
    text = "" if given is None else str(given)
    return *clean_text(text[:MAX_INPUT_CHARS]), len(text)


# Endpoints -----------------------------------------------------------------------------------------------------------


class Endpoints:
    """What the tabs do, over {display name: Classifier} (the first the default); `load_errors`: (source, message)
    for the models that did not load; `content`: the task's words (default: `choose_content` of the models)."""

    def __init__(self, models: dict[str, Classifier], load_errors=(), content: Content | None = None):
        self.models, self.load_errors = models, list(load_errors)
        self.content = content or choose_content(models)

    def pick(self, name: str | None) -> str | None:
        return name if name in self.models else next(iter(self.models), None)

    def refusal(self, name: str | None, text: str) -> str:
        """Why there is nothing to classify (Markdown), or "" when there is."""
        if name is None:
            return presentation.no_models_message(self.load_errors)
        return "" if has_visible_text(text) else presentation.empty_message(self.content)

    def classify(self, name: str, text: str, length: int) -> tuple[dict[str, float], str, list[str]]:
        """Every label's score, the prediction (`Classifier.decide`) and notes on the input, of model `name`."""
        classifier = self.models[name]
        scores = classifier.probabilities([text])
        prediction = classifier.decide(scores)[0]
        notes = presentation.input_notes(name, classifier, text, length)
        return dict(zip(classifier.labels, scores[0].tolist(), strict=True)), prediction, notes

    def predict(self, text: str, model: str | None = None) -> tuple[dict, str]:
        """Classify one text.

        Returns the prediction with every label's score, as gr.Label's data ({"label", "confidences"}; a multi-label
        model's label is every label above its threshold, a regression's the value, without confidences), and a note
        (Markdown) when the text was empty, longer than the model reads, or mostly unknown to it; otherwise "".
        """
        name = self.pick(model)
        text, notes, length = model_input(text)
        if refusal := self.refusal(name, text):
            return {}, refusal
        scores, prediction, more_notes = self.classify(name, text, length)
        return presentation.label_value(self.models[name], scores, prediction, TOP_SCORES), presentation.format_notes(
            notes + more_notes
        )

    def explain(self, text: str, model: str | None = None) -> tuple[str, list[tuple[str, float | None]]]:
        """Explain a prediction: the prediction in words, and which words drove it.

        Returns Markdown, and the text as (word, score) pairs: for attention-pooled RNNs the attention weight of
        each word (min-max scaled to [0, 1]), for every other model gradient x input at the word embeddings divided by
        its largest magnitude (positive: pushed towards the best-scored label or a higher value, negative: away).
        """
        name = self.pick(model)
        text, _, length = model_input(text)
        if name is None:
            return "⚠️ No model is loaded.", []  # the note next to it says how to get one
        if not has_visible_text(text):
            return "", []
        try:
            explanation = self.models[name].explain(text)
        except UserInputError as error:  # an ONNX export classifies but has no gradients to explain with
            return f"⚠️ {error}", []
        markdown = presentation.explanation_markdown(name, self.models[name], explanation, self.content)
        return markdown, presentation.highlight(text, explanation, length)

    def compare(self, text: str, models: list[str] | None = None) -> tuple[pd.DataFrame, str]:
        """Run one text through several models.

        Returns a table with one row per model (prediction, its meaning, confidence, latency in milliseconds and the
        score of every label; a regression has no meaning or confidence) and a note (Markdown) about the input, empty
        when there is nothing to say.
        """
        chosen = [name for name in (self.models if models is None else models) if name in self.models]
        text, notes, length = model_input(text)
        refusal = (
            self.refusal(self.pick(None), text)
            if chosen or not self.models
            else "✏️ Tick at least one model to compare."
        )
        if refusal:
            return pd.DataFrame(columns=presentation.COMPARE_COLUMNS), refusal
        rows = []
        for name in chosen:
            started = time.perf_counter()
            scores, prediction, more_notes = self.classify(name, text, length)
            latency = (time.perf_counter() - started) * 1000
            row = presentation.comparison_row(name, self.models[name], scores, prediction, latency, self.content)
            rows.append(row)
            notes += [note for note in more_notes if note not in notes]
        return pd.DataFrame(rows), presentation.format_notes(notes)  # label columns in the order the models name them

    def comparison_labels(self, table: pd.DataFrame) -> list:
        """The comparison table as one gr.Label per loaded model (hidden for the models not compared)."""
        rows = {row["model"]: row for row in table.to_dict("records")} if isinstance(table, pd.DataFrame) else {}
        updates = []
        for name, classifier in self.models.items():
            if name not in rows:
                updates.append(gr.Label(value=None, visible=False))
                continue
            row = rows[name]
            scores = {label: float(row[label]) for label in classifier.labels}
            value = presentation.label_value(classifier, scores, str(row["prediction"]), top=3)
            updates.append(gr.Label(value, label=f"{name} — {row['latency_ms']:.1f} ms", visible=True))
        return updates

    def classify_batch(self, file, text_column: str = "", model: str | None = None):
        """Classify every text of an uploaded CSV (a text column) or TXT file (one text per line).

        Returns a preview of the first rows, the path of a CSV with the input columns plus what `seqclf-hf predict`
        writes (`prediction`, `score` and `score_<label>` for every label), and a note (Markdown) on what was done.
        """
        empty = pd.DataFrame(columns=["text", "prediction", "score"])
        name = self.pick(model)
        if name is None:
            return empty, None, presentation.no_models_message(self.load_errors)
        if not file:
            return empty, None, presentation.upload_message(self.content)
        output = Path(tempfile.mkdtemp(prefix="seqclf_batch_")) / f"{Path(file).stem}_predictions.csv"
        columns = [text_column.strip()] if (text_column or "").strip() else None
        started = time.perf_counter()
        try:
            written = predict_file(
                self.models[name], file, output, dataclasses.replace(BATCH_OPTIONS, columns=columns)
            )
        except DataError as error:
            return empty, None, f"⚠️ {error}"
        seconds, (column,) = time.perf_counter() - started, written.text_columns
        note = presentation.batch_summary(name, column, written, seconds, self.content.noun)
        preview = pd.read_csv(output, dtype=str, keep_default_na=False, nrows=20)
        preview = preview[[column, *(name for name in empty.columns[1:] if name in preview)]]
        return preview.rename(columns={column: "text"}), str(output), note


# Interface -----------------------------------------------------------------------------------------------------------


def model_dropdown(models: dict[str, Classifier], **kwargs) -> gr.Dropdown:
    choices = [(f"{name} — {classifier.description}", name) for name, classifier in models.items()]
    return gr.Dropdown(choices=choices, value=next(iter(models), None), label="Model", **kwargs)


def classify_tab(endpoints: Endpoints) -> None:
    content = endpoints.content
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            question = gr.Textbox(
                label=content.input_name, placeholder=content.placeholder, max_lines=4, elem_id="text"
            )
            model = model_dropdown(endpoints.models, elem_id="model")
            with gr.Row():
                clear_button = gr.Button("Clear", variant="secondary")
                classify_button = gr.Button("Classify", variant="primary", elem_id="classify")
            examples = example_inputs(content, question)
        with gr.Column(scale=4):
            probabilities = gr.Label(label="Prediction and label scores", elem_id="probabilities")
            notice = gr.Markdown(elem_id="notice")
            explanation = gr.Markdown(elem_id="explanation")
            highlights = gr.HighlightedText(
                label="Which words drove the decision", show_legend=True, combine_adjacent=False, elem_id="highlights"
            )
    inputs, explained, predicted = [question, model], [explanation, highlights], [probabilities, notice]
    # postprocess=False: predict returns gr.Label's data itself (see presentation.label_value).
    gr.on(
        [classify_button.click, question.submit],
        endpoints.predict,
        inputs,
        predicted,
        api_name="predict",
        postprocess=False,
    ).then(endpoints.explain, inputs, explained, api_name="explain")
    if examples is not None:
        examples.load_input_event.then(
            endpoints.predict, inputs, predicted, api_visibility="private", postprocess=False
        ).then(endpoints.explain, inputs, explained, api_visibility="private")
    clear_button.click(
        lambda: ("", {}, "", "", []), None, [question, probabilities, notice, *explained], api_visibility="private"
    )


def example_inputs(content: Content, textbox: gr.Textbox) -> "gr.helpers.Examples | None":
    """The content's example inputs under `textbox`, clicked to fill it; None when it has none (a task known only
    from its models)."""
    if not content.examples:
        return None
    return gr.Examples([[text] for text in content.examples], [textbox], label=f"Example {content.noun}s")


def compare_tab(endpoints: Endpoints) -> None:
    names, content = list(endpoints.models), endpoints.content
    with gr.Row():
        question = gr.Textbox(
            label=content.input_name,
            value=content.examples[-2] if len(content.examples) > 1 else "",
            max_lines=4,
            scale=4,
            elem_id="compare-text",
        )
        models = gr.CheckboxGroup(choices=names, value=names, label="Models", scale=3, elem_id="compare-models")
    button = gr.Button("Compare", variant="primary", elem_id="compare")
    notice = gr.Markdown()
    with gr.Row():
        labels = [gr.Label(label=name, visible=False) for name in names]
    table = gr.Dataframe(label="Side by side", interactive=False, wrap=True, elem_id="compare-table")
    example_inputs(content, question)
    gr.on(
        [button.click, question.submit], endpoints.compare, [question, models], [table, notice], api_name="compare"
    ).then(endpoints.comparison_labels, [table], labels, api_visibility="private", postprocess=False)


def batch_tab(endpoints: Endpoints) -> None:
    noun = endpoints.content.noun
    gr.Markdown(
        "Upload a **.csv** with a `text` column (or name the column below), or a **.txt** file with one "
        f"{noun} per line (at most {MAX_BATCH_ROWS:,} rows). You get a CSV with the prediction, its score and every "
        "label's score, as `seqclf-hf predict` writes it."
    )
    with gr.Row():
        file = gr.File(
            label=f"{noun.capitalize()}s (.csv or .txt)", file_types=[".csv", ".tsv", ".txt"], elem_id="batch-file"
        )
        with gr.Column():
            column = gr.Textbox(label="Text column (optional)", placeholder="text")
            model = model_dropdown(endpoints.models)
            button = gr.Button("Classify file", variant="primary")
    notice = gr.Markdown()
    download = gr.File(label="Predictions (CSV)", interactive=False)
    preview = gr.Dataframe(label="First rows", interactive=False, wrap=True)
    button.click(endpoints.classify_batch, [file, column, model], [preview, download, notice], api_name="batch")


def build_demo(
    models: dict[str, Classifier], load_errors=(), origin: str = "", content: Content | None = None
) -> gr.Blocks:
    """The app over `models` ({display name: Classifier}, the first the default). `load_errors` ((source, message)
    for models that did not load) and `origin` (where the list of models came from) are shown to the user;
    `content`: the task's words (default: `choose_content` of the models)."""
    endpoints = Endpoints(models, load_errors, content)
    content, status = endpoints.content, presentation.models_markdown(models, load_errors, origin)
    example = content.examples[0] if content.examples else "Some text to classify"
    with gr.Blocks(title=f"{content.input_name} classifier · seqclf-hf") as demo:
        gr.Markdown(f"# {content.title}\n{content.description}")
        gr.Markdown(status, visible=not models or bool(load_errors), elem_id="status")  # only when something is wrong
        with gr.Tab("Classify"):
            classify_tab(endpoints)
        with gr.Tab("Compare models"):
            compare_tab(endpoints)
        with gr.Tab("Batch"):
            batch_tab(endpoints)
        with gr.Tab("About"):
            gr.Markdown(status)
            gr.Markdown(presentation.classes_markdown(content, models))
            gr.Markdown(
                "**API.** Every tab is an endpoint: `from gradio_client import Client; "
                f"Client(URL).predict({example!r}, api_name='/predict')`; also `/explain`, `/compare`, `/batch`."
            )
    # Requests run in worker threads: a Classifier serialises its own calls.
    return demo.queue(default_concurrency_limit=CONCURRENCY, max_size=MAX_QUEUE)


def launch(
    space_readme: Path | None = None,
    runs: list[str] | None = None,
    port: int | None = None,
    share: bool = False,
    content_file: str | None = None,
) -> None:
    """Load `runs` (default: the models `model_sources()` names) and serve them on `port` (default:
    GRADIO_SERVER_PORT, else 7860), on a public link too with `share`, in the words of `content_file` (default:
    SEQCLF_CONTENT; without either, `choose_content` picks them from the models)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    content_file = content_file or os.environ.get("SEQCLF_CONTENT")
    given = presentation.read_content(Path(content_file)) if content_file else None  # refused before models load
    sources, origin = (runs, "the command line") if runs else model_sources(space_readme)
    logger.info("Loading models from %s: %s", origin, sources or "none")
    trust = {
        "allow_pickle": os.environ.get("SEQCLF_ALLOW_PICKLE") == "1",
        "trust_remote_code": os.environ.get("SEQCLF_TRUST_REMOTE_CODE") == "1",
    }
    models, load_errors = load_classifiers(sources, WARM_UP_TEXT, **trust)
    if not models:
        logger.warning("No model loaded. %s", presentation.HOW_TO_GET_A_MODEL)
    demo = build_demo(models, load_errors, origin, given or choose_content(models))
    port = port or int(os.environ.get("GRADIO_SERVER_PORT", DEFAULT_PORT))
    demo.launch(server_port=port, share=share, theme=gr.themes.Soft(), max_file_size=MAX_UPLOAD)


def main(argv: list[str] | None = None, prog: str = "seqclf-hf space") -> None:
    """`seqclf-hf space [RUN ...]`: serve those runs, else the models SEQCLF_MODELS names, else ./outputs' runs."""
    parser = CommandParser(
        prog=prog,
        description="Serve the Gradio demo over the RUNs given, else the models in SEQCLF_MODELS (comma-separated), "
        "else the finished runs in ./outputs.",
    )
    parser.add_argument(
        "runs", nargs="*", metavar="RUN", help="an output folder (a run, an adapter, an ONNX export) or a Hub id"
    )
    parser.add_argument("--port", type=int, help=f"default: GRADIO_SERVER_PORT, else {DEFAULT_PORT}")
    parser.add_argument("--share", action="store_true", help="also serve on a public gradio.live link")
    parser.add_argument(
        "--content",
        metavar="YAML",
        help="the task's title, label meanings and examples, like seqclf_hf/space/trec.yaml (default: SEQCLF_CONTENT; "
        "without either, TREC's for TREC's six classes, else neutral words and the models' labels)",
    )
    args = parser.parse_args(argv)
    launch(runs=args.runs, port=args.port, share=args.share, content_file=args.content)


if __name__ == "__main__":
    main()
