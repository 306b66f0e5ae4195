"""Gradio demo of seqclf-hf question classifiers: what kind of answer does a question ask for?

`build_demo(models)` builds the app over classifiers that `seqclf_hf.inference.load_classifier` loaded; it serves
four endpoints:

- `/predict`  question (+ model) -> label probabilities, and a note when the text was empty, cut or unfamiliar
- `/explain`  question (+ model) -> the predicted class in words, and how much each word drove the decision
- `/compare`  question (+ models) -> one row per model: prediction, confidence, latency, every probability
- `/batch`    a CSV / TXT file of questions (+ text column, model) -> preview, downloadable CSV, a note

`python space/app.py` loads the models named in `SEQCLF_MODELS` (comma-separated Hub ids or local output directories;
by default the runs in outputs/, or on a Space the README's `models:`) and serves them (port: `GRADIO_SERVER_PORT`,
default 7860). Importing this module loads nothing.
"""

import csv
import io
import logging
import math
import os
import tempfile
import time
from pathlib import Path

import gradio as gr
import pandas as pd
from huggingface_hub.repocard import metadata_load

from seqclf_hf.errors import UserInputError
from seqclf_hf.inference import Classifier, Encoded, Explanation, finished_runs, load_classifier

logger = logging.getLogger("seqclf_space")

SPACE_DIR = Path(__file__).resolve().parent
REPO_ROOT = SPACE_DIR.parent
DEFAULT_PORT = 7860
MAX_DEFAULT_MODELS = 6  # output directories picked up from outputs/ when SEQCLF_MODELS is unset
MAX_INPUT_CHARS = 20_000  # longer texts are cut before tokenizing; the model reads far less anyway
MAX_BATCH_ROWS = 5_000
MAX_UPLOAD = "10mb"  # batch files; 5,000 questions take well under 1 MB
BATCH_SIZE = 64
TEXT_COLUMN_NAMES = ("text", "question", "questions", "sentence", "query", "input", "content")
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
NO_TEXT_COLUMN_MESSAGE = (
    "⚠️ No text column found: the CSV's columns are {columns}. Name the column `text` or `question`, type its name "
    "under *Text column*, or upload a .txt file with one question per line."
)
UPLOAD_MESSAGE = (
    "📄 Upload a .csv file with a `text` (or `question`) column, or a .txt file with one question per line."
)

# C0 / C1 control characters (but tab and newline) become spaces: they render as nothing, or as garbage.
CONTROL_CHARACTERS = {code: " " for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n"}


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


def clean_text(text) -> tuple[str, list[str], int]:
    """The text as the models get it (at most MAX_INPUT_CHARS, control characters and lone surrogates replaced),
    notes for the user, and the length of the text as given."""
    text = "" if text is None else str(text)
    notes, length = [], len(text)
    text = text[:MAX_INPUT_CHARS]
    # Lone surrogates (possible in JSON) cannot be encoded; valid pairs are joined, lone ones become U+FFFD.
    decoded = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if decoded.count("\ufffd") > text.count("\ufffd"):
        notes.append("Characters that are not valid Unicode (lone surrogates) were replaced by �.")
    cleaned = decoded.translate(CONTROL_CHARACTERS)
    if cleaned != decoded:
        notes.append("Control characters were replaced by spaces.")
    return cleaned, notes, length


def input_notes(name: str, classifier: Classifier, text: str, length: int) -> list[str]:
    """Say when model `name` read only part of the text (`length` characters as given), or hardly knew its words."""
    item = classifier.encode([text])[0]
    notes = []
    if item.truncated or length > len(text):
        read = text[: read_characters(item)] if item.truncated and item.offsets else text
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


def read_characters(item: Encoded) -> int:
    """How many characters of the text the model read: the end of its last real token."""
    return max((end for (_, end), special in zip(item.offsets, item.special, strict=True) if not special), default=0)


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


def no_models_message(load_errors) -> str:
    errors = "".join(f"\n- `{source}`: {message}" for source, message in load_errors)
    return f"⚠️ No model is loaded. {HOW_TO_GET_A_MODEL}" + (f"\n\nCould not load:{errors}" if errors else "")


# Explanations on screen ----------------------------------------------------------------------------------------------


def scaled(explanation: Explanation) -> list[float]:
    """Scores for display: attention weights min-max scaled to [0, 1], gradient x input divided by its largest
    magnitude (so in [-1, 1], the sign kept)."""
    values = [score if math.isfinite(score) else 0.0 for *_, score in explanation.words]
    if not values:
        return []
    if explanation.method == "attention":
        low, high = min(values), max(values)
        return [round((value - low) / (high - low), 3) if high > low else 0.0 for value in values]
    largest = max(abs(value) for value in values)
    return [round(value / largest, 3) if largest > 0 else 0.0 for value in values]


def highlight(
    text: str, explanation: Explanation, display: list[float], length: int
) -> list[tuple[str, float | None]]:
    """The text as (piece, score) pairs for gr.HighlightedText: words get their display score, the text between
    them None. A text the model read only the start of (`length` characters as given) ends with a note."""
    words = explanation.words
    if words and words[0][0] < 0:  # no offsets: the tokens, space separated
        return [(f"{word} ", score) for (*_, word, _), score in zip(words, display, strict=True)]
    segments, position = [], 0
    for (start, end, word, _), score in zip(words, display, strict=True):
        if start > position:
            segments.append((text[position:start], None))
        segments.append((word, score))
        position = end
    rest = text[position:]
    if (explanation.truncated and rest.strip()) or length > len(text):
        segments.append((f" … [{length - position:,} more characters not read by the model]", None))
    elif rest:
        segments.append((rest, None))
    return segments


def explanation_markdown(name: str, explanation: Explanation, display: list[float]) -> str:
    """The predicted class in words, how sure the model is and the runner-up, and what the highlighting shows."""
    label, probabilities = explanation.label, explanation.probabilities
    lines = [f"### {label} — {meaning(label)}", f"{name} is {probabilities[label]:.0%} sure."]
    runner_up = max((other for other in probabilities if other != label), key=probabilities.get, default=None)
    if runner_up is not None:
        lines[-1] += f" Runner-up: **{runner_up}** ({probabilities[runner_up]:.0%}, {title(runner_up)})."
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


def read_questions(file: str | None, text_column: str | None) -> tuple[pd.DataFrame | None, str, str]:
    """The uploaded rows, the name of their text column, and why there are none (Markdown; "" when there are)."""
    if not file:
        return None, "", UPLOAD_MESSAGE
    path = Path(file)
    try:
        text = path.read_bytes().decode("utf-8-sig", errors="replace")
    except OSError as error:
        return None, "", f"⚠️ Could not read the file: {error}."
    if "\x00" in text:
        return None, "", "⚠️ This does not look like a text file (it contains NUL bytes). Upload a CSV or TXT file."
    if not text.strip():
        return None, "", "⚠️ The file is empty."
    if path.suffix.lower() == ".txt":
        return pd.DataFrame({"text": [line.strip() for line in text.splitlines() if line.strip()]}), "text", ""
    if path.suffix.lower() not in (".csv", ".tsv"):
        return None, "", f"⚠️ Upload a .csv or .txt file (got {path.suffix or 'a file without extension'})."
    try:
        delimiter = csv.Sniffer().sniff(text[:20_000], delimiters=",;\t|").delimiter
    except csv.Error:  # e.g. a single column
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    try:  # every cell a string, empty cells "" (not NaN); repeated column names become name.1, name.2, …
        table = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, csv.Error) as error:
        return None, "", f"⚠️ Could not read the CSV: {str(error).strip()}."
    table.columns = [str(name).strip() for name in table.columns]
    column = text_column_of(table, text_column)
    columns = ", ".join(map(repr, table.columns))
    if column is None and (text_column or "").strip():
        return None, "", f"⚠️ The CSV has no column {text_column.strip()!r}; its columns are {columns}."
    if column is None:
        return None, "", NO_TEXT_COLUMN_MESSAGE.format(columns=columns)
    return table, column, ""


def text_column_of(table: pd.DataFrame, wanted: str | None) -> str | None:
    """The column named `wanted` (any case), or without a name the first with a usual name for a text column."""
    lowered = {name.lower(): name for name in reversed(table.columns)}  # reversed: the first of equal names wins
    names = [wanted.strip().lower()] if (wanted or "").strip() else TEXT_COLUMN_NAMES
    return next((lowered[name] for name in names if name in lowered), None)


def predictions(classifier: Classifier, texts: pd.Series) -> pd.DataFrame:
    """predicted_label, confidence and prob_<label> for each text; for empty texts "" and no numbers."""
    todo = texts[texts.str.strip() != ""]
    probabilities = pd.DataFrame(
        classifier.probabilities(list(todo), BATCH_SIZE).tolist(), index=todo.index, columns=classifier.labels
    ).round(4)
    return pd.DataFrame(
        {
            "predicted_label": probabilities.idxmax(axis=1).reindex(texts.index, fill_value=""),
            "confidence": probabilities.max(axis=1).reindex(texts.index),
        }
    ).join(probabilities.add_prefix("prob_"))


def batch_summary(name: str, classifier: Classifier, column: str, rows: int, texts: pd.Series, seconds: float) -> str:
    """What was classified (`rows` in the file), and what was not: rows left out, left empty, or cut."""
    classified = [text for text in texts if text.strip()]
    truncated = sum(item.truncated for item in classifier.encode(classified)) if classified else 0
    skipped = len(texts) - len(classified)
    notes = [f"Only the first {MAX_BATCH_ROWS:,} of {rows:,} rows were classified."] if rows > MAX_BATCH_ROWS else []
    if skipped:
        notes.append(f"{skipped:,} empty row{'s were' if skipped > 1 else ' was'} left unclassified.")
    if truncated:
        notes.append(
            f"{truncated:,} question{'s were' if truncated > 1 else ' was'} longer than {classifier.max_length} "
            "tokens and truncated (the model read only the start)."
        )
    plural = "s" if len(classified) != 1 else ""
    summary = f"Classified {len(classified):,} question{plural} from column `{column}` with {name} in {seconds:.2f} s."
    return "\n\n".join([summary, format_notes(notes)]).strip()


# Endpoints -----------------------------------------------------------------------------------------------------------


class Endpoints:
    """What the tabs do, over {display name: Classifier} (the first the default); `load_errors`: (source, message)
    for the models that did not load."""

    def __init__(self, models: dict[str, Classifier], load_errors=()):
        self.models, self.load_errors = models, list(load_errors)

    def pick(self, name: str | None) -> str | None:
        return name if name in self.models else next(iter(self.models), None)

    def classify(self, name: str, text: str, length: int) -> tuple[dict[str, float], list[str]]:
        classifier = self.models[name]
        probabilities = classifier.probabilities([text])[0].tolist()
        return dict(zip(classifier.labels, probabilities, strict=True)), input_notes(name, classifier, text, length)

    def predict(self, question: str, model: str | None = None) -> tuple[dict[str, float], str]:
        """Classify one question.

        Returns the probability of every label, and a note (Markdown) when the text was empty, longer than the model
        reads, or mostly unknown to it; otherwise the note is empty.
        """
        name = self.pick(model)
        text, notes, length = clean_text(question)
        if name is None:
            return {}, no_models_message(self.load_errors)
        if not text.strip():
            return {}, EMPTY_MESSAGE
        probabilities, more_notes = self.classify(name, text, length)
        return probabilities, format_notes(notes + more_notes)

    def explain(self, question: str, model: str | None = None) -> tuple[str, list[tuple[str, float | None]]]:
        """Explain a prediction: the predicted class in words, and which words drove it.

        Returns Markdown, and the question as (word, score) pairs: for attention-pooled RNNs the attention weight of
        each word (min-max scaled to [0, 1]), for every other model gradient x input at the word embeddings divided by
        its largest magnitude (positive: pushed towards the predicted class, negative: away from it).
        """
        name = self.pick(model)
        text, _, length = clean_text(question)
        if name is None:
            return "⚠️ No model is loaded.", []  # the note next to it says how to get one
        if not text.strip():
            return "", []
        try:
            explanation = self.models[name].explain(text)
        except UserInputError as error:  # an ONNX export classifies but has no gradients to explain with
            return f"⚠️ {error}", []
        display = scaled(explanation)
        return explanation_markdown(name, explanation, display), highlight(text, explanation, display, length)

    def compare(self, question: str, models: list[str] | None = None) -> tuple[pd.DataFrame, str]:
        """Run one question through several models.

        Returns a table with one row per model (prediction, its meaning, confidence, latency in milliseconds and the
        probability of every label) and a note (Markdown) about the input, empty when there is nothing to say.
        """
        chosen = [name for name in (self.models if models is None else models) if name in self.models]
        text, notes, length = clean_text(question)
        if not self.models:
            return pd.DataFrame(columns=COMPARE_COLUMNS), no_models_message(self.load_errors)
        if not chosen:
            return pd.DataFrame(columns=COMPARE_COLUMNS), "✏️ Tick at least one model to compare."
        if not text.strip():
            return pd.DataFrame(columns=COMPARE_COLUMNS), EMPTY_MESSAGE
        rows = []
        for name in chosen:
            started = time.perf_counter()
            probabilities, more_notes = self.classify(name, text, length)
            latency = (time.perf_counter() - started) * 1000
            label = max(probabilities, key=probabilities.get)
            values = [name, self.models[name].description, label, title(label)]
            values += [round(probabilities[label], 4), round(latency, 2)]
            rows.append(
                dict(zip(COMPARE_COLUMNS, values, strict=True)) | {k: round(p, 4) for k, p in probabilities.items()}
            )
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
            probabilities = {label: float(rows[name][label]) for label in classifier.labels}
            updates.append(gr.Label(probabilities, label=f"{name} — {rows[name]['latency_ms']:.1f} ms", visible=True))
        return updates

    def classify_batch(self, file, text_column: str = "", model: str | None = None):
        """Classify every question of an uploaded CSV (a text column) or TXT file (one question per line).

        Returns a preview of the first rows, the path of a CSV with the input columns plus `predicted_label`,
        `confidence` and one `prob_<label>` column per label, and a note (Markdown) on what was done.
        """
        empty = pd.DataFrame(columns=["text", "predicted_label", "confidence"])
        name = self.pick(model)
        if name is None:
            return empty, None, no_models_message(self.load_errors)
        table, column, problem = read_questions(file, text_column)
        if problem or table.empty:
            return empty, None, problem or "⚠️ The file holds no questions."
        classifier, rows, table = self.models[name], len(table), table.iloc[:MAX_BATCH_ROWS]
        texts = table[column].map(lambda value: clean_text(value)[0])
        started = time.perf_counter()
        table = table.join(predictions(classifier, texts))
        seconds = time.perf_counter() - started
        output = Path(tempfile.mkdtemp(prefix="seqclf_batch_")) / f"{Path(file).stem}_predictions.csv"
        table.to_csv(output, index=False)
        note = batch_summary(name, classifier, column, rows, texts, seconds)
        preview = table[[column, "predicted_label", "confidence"]].head(20).rename(columns={column: "text"})
        return preview, str(output), note


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
                examples=[[text] for text in EXAMPLES],
                inputs=[question],
                label="Example questions (two of every class; click one)",
                examples_per_page=12,
            )
        with gr.Column(scale=4):
            probabilities = gr.Label(num_top_classes=6, label="Label probabilities", elem_id="probabilities")
            notice = gr.Markdown(elem_id="notice")
            explanation = gr.Markdown(elem_id="explanation")
            highlights = gr.HighlightedText(
                label="Which words drove the decision", show_legend=True, combine_adjacent=False, elem_id="highlights"
            )
    inputs, explained = [question, model], [explanation, highlights]
    gr.on(
        [classify_button.click, question.submit],
        endpoints.predict,
        inputs,
        [probabilities, notice],
        api_name="predict",
    ).then(endpoints.explain, inputs, explained, api_name="explain")
    examples.load_input_event.then(endpoints.predict, inputs, [probabilities, notice], api_visibility="private").then(
        endpoints.explain, inputs, explained, api_visibility="private"
    )
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
        labels = [gr.Label(num_top_classes=3, label=name, visible=False) for name in names]
    table = gr.Dataframe(label="Side by side", interactive=False, wrap=True, elem_id="compare-table")
    gr.Examples(examples=[[text] for text in EXAMPLES], inputs=[question], examples_per_page=12)
    gr.on(
        [button.click, question.submit], endpoints.compare, [question, models], [table, notice], api_name="compare"
    ).then(endpoints.comparison_labels, [table], labels, api_visibility="private")


def batch_tab(endpoints: Endpoints) -> None:
    gr.Markdown(
        "Upload a **.csv** with a `text` or `question` column (or name the column below), or a **.txt** file "
        f"with one question per line (at most {MAX_BATCH_ROWS:,} rows). You get a CSV with the predicted label, "
        "its confidence and every class probability."
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
    build_demo(models, load_errors, origin).launch(
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", DEFAULT_PORT)),
        theme=gr.themes.Soft(),
        max_file_size=MAX_UPLOAD,
    )


if __name__ == "__main__":
    launch()
