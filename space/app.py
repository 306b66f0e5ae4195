"""Gradio demo of seqclf-hf question classifiers: what kind of answer does a question ask for?

`build_demo(models)` builds the app over classifiers that `seqclf_hf.inference.load_classifier` loaded; it serves
four endpoints:

- `/predict`  question (+ model) -> the prediction with every label's score, and a note when the text was empty, cut
  or unfamiliar; a multi-label model predicts every label above its threshold, a regression a number
- `/explain`  question (+ model) -> the prediction in words, and how much each word drove the decision
- `/compare`  question (+ models) -> one row per model: prediction, confidence, latency, every score
- `/batch`    a CSV / TXT file of questions (+ text column, model) -> preview, downloadable CSV, a note

`python space/app.py` loads the models named in `SEQCLF_MODELS` (comma-separated Hub ids or local output directories;
by default the runs in outputs/, or on a Space the README's `models:`) and serves them (port: `GRADIO_SERVER_PORT`,
default 7860). Importing this module loads nothing.
"""

import logging
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import pandas as pd
from huggingface_hub.repocard import metadata_load

from seqclf_hf.errors import DataError, UserInputError
from seqclf_hf.inference import (
    MULTI_LABEL,
    REGRESSION,
    Classifier,
    Explanation,
    clean_text,
    finished_runs,
    load_classifier,
)
from seqclf_hf.predict import Written, predict_file

logger = logging.getLogger("seqclf_space")

SPACE_DIR = Path(__file__).resolve().parent
REPO_ROOT = SPACE_DIR.parent
DEFAULT_PORT = 7860
MAX_DEFAULT_MODELS = 6  # output directories picked up from outputs/ when SEQCLF_MODELS is unset
MAX_INPUT_CHARS = 20_000  # longer texts are cut before tokenizing; the model reads far less anyway
MAX_BATCH_ROWS = 5_000
MAX_UPLOAD = "10mb"  # batch files; 5,000 questions take well under 1 MB
# How predict_file reads an upload: every label's score in the download, and the fix its errors name.
BATCH_OPTIONS = {
    "batch_size": 64,
    "max_rows": MAX_BATCH_ROWS,
    "every_score": True,
    "how": "the *Text column* box, or upload a .txt file with one question per line",
}
TOP_SCORES = 6  # label scores the Classify tab (and /predict) shows; the comparison shows 3 per model
COMPARE_COLUMNS = ["model", "architecture", "prediction", "meaning", "confidence", "latency_ms"]

# What each class asks for; "the question asks for …" in the UI.
LABEL_MEANINGS = {
    "ABBR": ("Abbreviation", "an abbreviation: what a short form stands for, or the short form of something"),
    "DESC": ("Description", "a description: a definition, an explanation, a manner or a reason (what is …, why …)"),
    "ENTY": ("Entity", "a thing: an animal, a colour, a food, an instrument, a product, a sport, a word, an event, …"),
    "HUM": ("Human", "a person or a group of people: who did something, or who someone is"),
    "LOC": ("Location", "a place: a city, a country, a mountain, a river, a state, …"),
    "NUM": ("Numeric value", "a number: a count, a date, a distance, a price, a duration, a size, a temperature, …"),
}

# Written for this demo (not taken from TREC): two questions of every class.
EXAMPLES = [
    "What does the abbreviation UNICEF stand for?",
    "What is the short form of the word 'mathematics' in British English?",
    "Why do cats purr?",
    "How does a microwave oven heat food?",
    "What instrument did Louis Armstrong play?",
    "What is the national flower of Japan?",
    "Who painted the ceiling of the Sistine Chapel?",
    "Which scientist proposed the theory of general relativity?",
    "What is the capital city of Canada?",
    "Where does the Amazon River begin?",
    "How tall is the Statue of Liberty?",
    "When did the Berlin Wall fall?",
]

HOW_TO_GET_A_MODEL = (
    "Train one with `make demo` (writes `outputs/demo-lstm`) or `python recipes/train.py --model cnn "
    "--dataset_name sample --output_dir outputs/demo-cnn`, then restart the app; or name models explicitly: "
    "`SEQCLF_MODELS=outputs/demo-lstm,user/some-model python space/app.py` (local folders or Hub ids)."
)
EMPTY_MESSAGE = "✏️ Type a question (or click an example) to classify it."
UPLOAD_MESSAGE = (
    "📄 Upload a .csv file with a `text` (or `question`) column, or a .txt file with one question per line."
)


# Which models, loaded how --------------------------------------------------------------------------------------------


def model_sources() -> tuple[list[str], str]:
    """The models to load, and where the list came from."""
    names = [name.strip() for name in os.environ.get("SEQCLF_MODELS", "").split(",") if name.strip()]
    if names:
        return names, "SEQCLF_MODELS"
    outputs = REPO_ROOT / "outputs"
    if found := sorted(finished_runs(outputs), key=lambda path: path.name != "demo-lstm"):  # make demo's first
        return [str(path) for path in found[:MAX_DEFAULT_MODELS]], f"the trained models in {outputs}"
    if os.environ.get("SPACE_ID"):  # running as a Hugging Face Space: the models its README names
        return (metadata_load(SPACE_DIR / "README.md") or {}).get("models", []), "the README's `models:` list"
    return [], "nothing (SEQCLF_MODELS is unset and outputs/ holds no trained model)"


def display_name(source: str, taken: set[str]) -> str:
    path = Path(source)
    name = path.resolve().name if path.exists() else source
    unique, number = name, 2
    while unique in taken:
        unique, number = f"{name} ({number})", number + 1
    return unique


def load_models(sources: list[str]) -> tuple[dict[str, Classifier], list[tuple[str, str]]]:
    """The models that load, by display name, and (source, error) for the others: one bad entry must not take the
    others down."""
    models, errors = {}, []
    for source in sources:
        started = time.perf_counter()
        try:
            classifier = load_classifier(source)
            classifier.predict(EXAMPLES[0])  # warm-up, and proof that it runs
        except Exception as error:
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            errors.append((source, message))
            logger.error("Could not load %s: %s", source, message)
            continue
        name = display_name(source, set(models))
        models[name] = classifier
        logger.info("Loaded %s from %s in %.1f s", name, source, time.perf_counter() - started)
    return models, errors


# Text in, text out ---------------------------------------------------------------------------------------------------


def model_input(question) -> tuple[str, list[str], int]:
    """The question as the models get it (at most MAX_INPUT_CHARS, cleaned by `clean_text`), notes for the user, and
    its length as given."""
    text = "" if question is None else str(question)
    return *clean_text(text[:MAX_INPUT_CHARS]), len(text)


def input_notes(name: str, classifier: Classifier, text: str, length: int) -> list[str]:
    """Say when model `name` read only part of the text (`length` characters as given), or hardly knew its words."""
    item = classifier.encode([text])[0]
    notes = []
    if item.truncated or length > len(text):
        read = text[: item.read_characters] if item.truncated and item.offsets else text
        limit = f"{classifier.max_length} tokens" if item.truncated else f"{len(text):,} characters"
        notes.append(
            f"The text was truncated: it is {length:,} characters long and {name} reads at most {limit}, so only the "
            f"first {len(read):,} characters (“{shorten(read, 60)}”) were classified; the rest was ignored."
        )
    unk_id = getattr(classifier.tokenizer, "unk_token_id", None)
    real = [token for token, special in zip(item.input_ids, item.special, strict=True) if not special]
    unknown = sum(token == unk_id for token in real) if unk_id is not None else 0
    if real and unknown * 2 > len(real):
        notes.append(
            f"{unknown} of the {len(real)} tokens are not in {name}'s vocabulary (it learnt English questions), so "
            "this prediction is little more than a guess."
        )
    return notes


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_notes(notes: list[str]) -> str:
    return "\n\n".join(f"⚠️ {note}" for note in notes)


def title(label: str) -> str:
    return LABEL_MEANINGS[label][0] if label in LABEL_MEANINGS else label


def meaning(label: str) -> str:
    if label in LABEL_MEANINGS:
        return f"{title(label)}: the question asks for {LABEL_MEANINGS[label][1]}."
    return f"class {label} of this model"


def in_words(classifier: Classifier, prediction: str) -> str:
    """`Classifier.decide`'s prediction for the UI: the labels of a multi-label model comma-separated (or "none
    above" its threshold), a label or a value as it is."""
    if classifier.config.problem_type != MULTI_LABEL:
        return prediction
    return ", ".join(prediction.split("|")) or f"none above {classifier.threshold:g}"


def label_value(classifier: Classifier, scores: dict[str, float], prediction: str, top: int | None = None) -> dict:
    """What gr.Label shows for one prediction, as its own data: the events showing it skip postprocessing, which
    would headline the best label where a multi-label model predicts all those above its threshold. A regression
    shows its value alone; the others the prediction and the `top` scores (None: all), best first."""
    if classifier.config.problem_type == REGRESSION:
        return {"label": prediction}
    ranked = sorted(scores.items(), key=lambda item: -item[1])[:top]
    confidences = [{"label": label, "confidence": score} for label, score in ranked]
    return {"label": in_words(classifier, prediction), "confidences": confidences}


def no_models_message(load_errors) -> str:
    errors = "".join(f"\n- `{source}`: {message}" for source, message in load_errors)
    return f"⚠️ No model is loaded. {HOW_TO_GET_A_MODEL}" + (f"\n\nCould not load:{errors}" if errors else "")


# Explanations on screen ----------------------------------------------------------------------------------------------


def highlight(text: str, explanation: Explanation, length: int) -> list[tuple[str, float | None]]:
    """`Explanation.segments` and the rest of the text; for a text the model read only the start of (`length`
    characters as given), a note instead of the rest."""
    position = explanation.words[-1][1] if explanation.words else 0
    rest = text[position:] if position >= 0 else ""  # no offsets: the tokens alone
    segments = explanation.segments(text)
    if (explanation.truncated and rest.strip()) or length > len(text):
        return [*segments, (f" … [{length - position:,} more characters not read by the model]", None)]
    return segments + ([(rest, None)] if rest else [])


def verdict(name: str, classifier: Classifier, explanation: Explanation) -> list[str]:
    """The prediction in words and how sure the model is: the class and the runner-up (one label per text), every
    label above the threshold (several), the value (a regression)."""
    label, probabilities = explanation.label, explanation.probabilities
    if classifier.config.problem_type == REGRESSION:
        return [f"### {explanation.prediction} — the value {name} predicts"]
    if classifier.config.problem_type == MULTI_LABEL:
        chosen = [label for label in explanation.prediction.split("|") if label]
        scored = ", ".join(f"**{label}** ({probabilities[label]:.0%}, {title(label)})" for label in chosen)
        threshold = f"{name} predicts every label it scores above {classifier.threshold:.0%}"
        return [f"### {in_words(classifier, explanation.prediction)}", f"{threshold}: {scored or 'none here'}."]
    lines = [f"### {label} — {meaning(label)}", f"{name} is {probabilities[label]:.0%} sure."]
    runner_up = max((other for other in probabilities if other != label), key=probabilities.get, default=None)
    if runner_up is not None:
        lines[-1] += f" Runner-up: **{runner_up}** ({probabilities[runner_up]:.0%}, {title(runner_up)})."
    return lines


def explanation_markdown(name: str, classifier: Classifier, explanation: Explanation) -> str:
    """The prediction in words (`verdict`), the words that drove it most, and what the highlighting shows."""
    lines, display = verdict(name, classifier, explanation), explanation.display_scores()
    # A regression's gradient is the value's: words push it up or down. Otherwise the best-scored label's.
    label = "a higher value" if classifier.config.problem_type == REGRESSION else explanation.label
    by_score = sorted(zip(display, explanation.words, strict=True), key=lambda pair: -pair[0])
    top = list(dict.fromkeys(word.lower() for score, (*_, word, _) in by_score if score > 0))[:3]
    top = ", ".join(f"**{word}**" for word in top)
    if explanation.method == "attention":
        lines.append(
            f"Words its attention pooling weighed most: {top}. Highlighted: the attention weight of every word "
            "(darker red = more weight, scaled from the least to the most attended word)."
        )
    else:
        lines.append(
            f"Words that pushed hardest towards {label}: {top or 'none'}. Highlighted: gradient × input at the word "
            f"embeddings — red words pushed the model towards {label}, purple words away from it."
        )
    return "\n\n".join(lines)


# Batch files ---------------------------------------------------------------------------------------------------------


def batch_summary(name: str, column: str, written: Written, seconds: float) -> str:
    """What was classified, and what was not (`Written.notes`)."""
    classified, plural = written.rows - written.empty, "s" if written.rows - written.empty != 1 else ""
    summary = f"Classified {classified:,} question{plural} from column `{column}` with {name} in {seconds:.2f} s."
    return "\n\n".join([summary, format_notes(written.notes())]).strip()


# Endpoints -----------------------------------------------------------------------------------------------------------


class Endpoints:
    """What the tabs do, over {display name: Classifier} (the first the default); `load_errors`: (source, message)
    for the models that did not load."""

    def __init__(self, models: dict[str, Classifier], load_errors=()):
        self.models, self.load_errors = models, list(load_errors)

    def pick(self, name: str | None) -> str | None:
        return name if name in self.models else next(iter(self.models), None)

    def refusal(self, name: str | None, text: str) -> str:
        """Why there is nothing to classify (Markdown), or "" when there is."""
        if name is None:
            return no_models_message(self.load_errors)
        return "" if text.strip() else EMPTY_MESSAGE

    def classify(self, name: str, text: str, length: int) -> tuple[dict[str, float], str, list[str]]:
        """Every label's score, the prediction (`Classifier.decide`) and notes on the input, of model `name`."""
        classifier = self.models[name]
        scores = classifier.probabilities([text])
        prediction = classifier.decide(scores)[0]
        notes = input_notes(name, classifier, text, length)
        return dict(zip(classifier.labels, scores[0].tolist(), strict=True)), prediction, notes

    def predict(self, question: str, model: str | None = None) -> tuple[dict, str]:
        """Classify one question.

        Returns the prediction with every label's score, as gr.Label's data ({"label", "confidences"}; a multi-label
        model's label is every label above its threshold, a regression's the value, without confidences), and a note
        (Markdown) when the text was empty, longer than the model reads, or mostly unknown to it; otherwise "".
        """
        name = self.pick(model)
        text, notes, length = model_input(question)
        if refusal := self.refusal(name, text):
            return {}, refusal
        scores, prediction, more_notes = self.classify(name, text, length)
        return label_value(self.models[name], scores, prediction, TOP_SCORES), format_notes(notes + more_notes)

    def explain(self, question: str, model: str | None = None) -> tuple[str, list[tuple[str, float | None]]]:
        """Explain a prediction: the prediction in words, and which words drove it.

        Returns Markdown, and the question as (word, score) pairs: for attention-pooled RNNs the attention weight of
        each word (min-max scaled to [0, 1]), for every other model gradient x input at the word embeddings divided by
        its largest magnitude (positive: pushed towards the best-scored label or a higher value, negative: away).
        """
        name = self.pick(model)
        text, _, length = model_input(question)
        if name is None:
            return "⚠️ No model is loaded.", []  # the note next to it says how to get one
        if not text.strip():
            return "", []
        try:
            explanation = self.models[name].explain(text)
        except UserInputError as error:  # an ONNX export classifies but has no gradients to explain with
            return f"⚠️ {error}", []
        markdown = explanation_markdown(name, self.models[name], explanation)
        return markdown, highlight(text, explanation, length)

    def compare(self, question: str, models: list[str] | None = None) -> tuple[pd.DataFrame, str]:
        """Run one question through several models.

        Returns a table with one row per model (prediction, its meaning, confidence, latency in milliseconds and the
        score of every label; a regression has no meaning or confidence) and a note (Markdown) about the input, empty
        when there is nothing to say.
        """
        chosen = [name for name in (self.models if models is None else models) if name in self.models]
        text, notes, length = model_input(question)
        refusal = (
            self.refusal(self.pick(None), text)
            if chosen or not self.models
            else "✏️ Tick at least one model to compare."
        )
        if refusal:
            return pd.DataFrame(columns=COMPARE_COLUMNS), refusal
        rows = []
        for name in chosen:
            started = time.perf_counter()
            scores, prediction, more_notes = self.classify(name, text, length)
            latency = (time.perf_counter() - started) * 1000
            rows.append(comparison_row(name, self.models[name], scores, prediction, latency))
            notes += [note for note in more_notes if note not in notes]
        return pd.DataFrame(rows), format_notes(notes)  # label columns in the order the models name them

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
            value = label_value(classifier, scores, str(row["prediction"]), top=3)
            updates.append(gr.Label(value, label=f"{name} — {row['latency_ms']:.1f} ms", visible=True))
        return updates

    def classify_batch(self, file, text_column: str = "", model: str | None = None):
        """Classify every question of an uploaded CSV (a text column) or TXT file (one question per line).

        Returns a preview of the first rows, the path of a CSV with the input columns plus what `seqclf-hf predict`
        writes (`prediction`, `score` and `score_<label>` for every label), and a note (Markdown) on what was done.
        """
        empty = pd.DataFrame(columns=["text", "prediction", "score"])
        name = self.pick(model)
        if name is None:
            return empty, None, no_models_message(self.load_errors)
        if not file:
            return empty, None, UPLOAD_MESSAGE
        output = Path(tempfile.mkdtemp(prefix="seqclf_batch_")) / f"{Path(file).stem}_predictions.csv"
        columns = [text_column.strip()] if (text_column or "").strip() else None
        started = time.perf_counter()
        try:
            written = predict_file(self.models[name], file, output, columns, **BATCH_OPTIONS)
        except DataError as error:
            return empty, None, f"⚠️ {error}"
        seconds, (column,) = time.perf_counter() - started, written.text_columns
        note = batch_summary(name, column, written, seconds)
        preview = pd.read_csv(output, dtype=str, keep_default_na=False, nrows=20)
        preview = preview[[column, *(name for name in empty.columns[1:] if name in preview)]]
        return preview.rename(columns={column: "text"}), str(output), note


def comparison_row(name: str, classifier: Classifier, scores: dict[str, float], prediction: str, latency: float):
    """One model's row of the comparison: its prediction, what that means and how sure it is, every score."""
    kind = classifier.config.problem_type
    labels = [label for label in prediction.split("|") if label]
    meanings = "" if kind == REGRESSION else ", ".join(map(title, labels)) or in_words(classifier, prediction)
    # One label's probability; several labels or a value have no one confidence (their scores are in the row).
    confidence = None if kind in (MULTI_LABEL, REGRESSION) else round(scores[prediction], 4)
    values = [name, classifier.description, prediction, meanings, confidence, round(latency, 2)]
    return dict(zip(COMPARE_COLUMNS, values, strict=True)) | {label: round(p, 4) for label, p in scores.items()}


# Interface -----------------------------------------------------------------------------------------------------------


def models_markdown(models: dict[str, Classifier], load_errors, origin: str) -> str:
    if not models:
        return no_models_message(load_errors)
    lines = [f"**Models** (from {origin}):" if origin else "**Models**:"]
    lines += [f"- **{name}** — {clf.description}; reads up to {clf.max_length} tokens" for name, clf in models.items()]
    lines += [f"- ⚠️ could not load `{source}`: {message}" for source, message in load_errors]
    return "\n".join(lines)


def model_dropdown(models: dict[str, Classifier], **kwargs) -> gr.Dropdown:
    choices = [(f"{name} — {classifier.description}", name) for name, classifier in models.items()]
    return gr.Dropdown(choices=choices, value=next(iter(models), None), label="Model", **kwargs)


def classify_tab(endpoints: Endpoints) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=5):
            question = gr.Textbox(
                label="Question",
                placeholder="e.g. How far is the Moon from the Earth?",
                max_lines=4,
                elem_id="question",
            )
            model = model_dropdown(endpoints.models, elem_id="model")
            with gr.Row():
                clear_button = gr.Button("Clear", variant="secondary")
                classify_button = gr.Button("Classify", variant="primary", elem_id="classify")
            examples = gr.Examples(
                [[text] for text in EXAMPLES],
                [question],
                label="Example questions (two of every class)",
                examples_per_page=12,
            )
        with gr.Column(scale=4):
            probabilities = gr.Label(label="Prediction and label scores", elem_id="probabilities")
            notice = gr.Markdown(elem_id="notice")
            explanation = gr.Markdown(elem_id="explanation")
            highlights = gr.HighlightedText(
                label="Which words drove the decision", show_legend=True, combine_adjacent=False, elem_id="highlights"
            )
    inputs, explained, predicted = [question, model], [explanation, highlights], [probabilities, notice]
    # postprocess=False: predict returns gr.Label's data itself (see label_value).
    gr.on(
        [classify_button.click, question.submit],
        endpoints.predict,
        inputs,
        predicted,
        api_name="predict",
        postprocess=False,
    ).then(endpoints.explain, inputs, explained, api_name="explain")
    examples.load_input_event.then(
        endpoints.predict, inputs, predicted, api_visibility="private", postprocess=False
    ).then(endpoints.explain, inputs, explained, api_visibility="private")
    clear_button.click(
        lambda: ("", {}, "", "", []), None, [question, probabilities, notice, *explained], api_visibility="private"
    )


def compare_tab(endpoints: Endpoints) -> None:
    names = list(endpoints.models)
    with gr.Row():
        question = gr.Textbox(label="Question", value=EXAMPLES[10], max_lines=4, scale=4, elem_id="compare-question")
        models = gr.CheckboxGroup(choices=names, value=names, label="Models", scale=3, elem_id="compare-models")
    button = gr.Button("Compare", variant="primary", elem_id="compare")
    notice = gr.Markdown()
    with gr.Row():
        labels = [gr.Label(label=name, visible=False) for name in names]
    table = gr.Dataframe(label="Side by side", interactive=False, wrap=True, elem_id="compare-table")
    gr.Examples(examples=[[text] for text in EXAMPLES], inputs=[question], examples_per_page=12)
    gr.on(
        [button.click, question.submit], endpoints.compare, [question, models], [table, notice], api_name="compare"
    ).then(endpoints.comparison_labels, [table], labels, api_visibility="private", postprocess=False)


def batch_tab(endpoints: Endpoints) -> None:
    gr.Markdown(
        "Upload a **.csv** with a `text` or `question` column (or name the column below), or a **.txt** file "
        f"with one question per line (at most {MAX_BATCH_ROWS:,} rows). You get a CSV with the prediction, its "
        "score and every label's score, as `seqclf-hf predict` writes it."
    )
    with gr.Row():
        file = gr.File(label="Questions (.csv or .txt)", file_types=[".csv", ".tsv", ".txt"], elem_id="batch-file")
        with gr.Column():
            column = gr.Textbox(label="Text column (optional)", placeholder="text")
            model = model_dropdown(endpoints.models)
            button = gr.Button("Classify file", variant="primary")
    notice = gr.Markdown()
    download = gr.File(label="Predictions (CSV)", interactive=False)
    preview = gr.Dataframe(label="First rows", interactive=False, wrap=True)
    button.click(endpoints.classify_batch, [file, column, model], [preview, download, notice], api_name="batch")


def build_demo(models: dict[str, Classifier], load_errors=(), origin: str = "") -> gr.Blocks:
    """The app over `models` ({display name: Classifier}, the first the default). `load_errors` ((source, message)
    for models that did not load) and `origin` (where the list of models came from) are shown to the user."""
    endpoints = Endpoints(models, load_errors)
    status = models_markdown(models, load_errors, origin)
    classes = "\n".join(
        ["| class | the question asks for |", "|---|---|"]
        + [f"| **{label}** | {title}: {text} |" for label, (title, text) in LABEL_MEANINGS.items()]
    )
    with gr.Blocks(title="Question classifier · seqclf-hf") as demo:
        gr.Markdown(
            "# What is this question asking for?\nText classifiers trained with seqclf-hf on question classification "
            "(TREC's six coarse classes): an abbreviation, a description, an entity, a human, a location or a number."
        )
        gr.Markdown(status, visible=not models or bool(load_errors), elem_id="status")  # only when something is wrong
        with gr.Tab("Classify"):
            classify_tab(endpoints)
        with gr.Tab("Compare models"):
            compare_tab(endpoints)
        with gr.Tab("Batch"):
            batch_tab(endpoints)
        with gr.Tab("About"):
            gr.Markdown(status)
            gr.Markdown("### The six classes\n" + classes)
            gr.Markdown(
                "**API.** Every tab is an endpoint: `from gradio_client import Client; Client(URL).predict('Who wrote "
                "Hamlet?', api_name='/predict')`; also `/explain`, `/compare`, `/batch`."
            )
    # Requests run in worker threads: a Classifier serialises its own calls.
    return demo.queue(default_concurrency_limit=int(os.environ.get("SEQCLF_CONCURRENCY", "4")))


def launch() -> None:
    """Load the models `model_sources()` names and serve them."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    sources, origin = model_sources()
    logger.info("Loading models from %s: %s", origin, sources or "none")
    models, load_errors = load_models(sources)
    if not models:
        logger.warning("No model loaded. %s", HOW_TO_GET_A_MODEL)
    port = int(os.environ.get("GRADIO_SERVER_PORT", DEFAULT_PORT))
    build_demo(models, load_errors, origin).launch(server_port=port, theme=gr.themes.Soft(), max_file_size=MAX_UPLOAD)


if __name__ == "__main__":
    launch()
