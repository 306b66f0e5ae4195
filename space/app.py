"""Gradio demo of seqclf-hf question classifiers: what kind of answer does a question ask for?

Loads the models named in `SEQCLF_MODELS` (comma-separated Hub ids or local output directories) once, at start-up,
and serves four endpoints:

- `/predict`  question (+ model) -> label probabilities, and a note when the text was empty, cut or unfamiliar
- `/explain`  question (+ model) -> the predicted class in words, and how much each word drove the decision
- `/compare`  question (+ models) -> one row per model: prediction, confidence, latency, every probability
- `/batch`    a CSV / TXT file of questions (+ text column, model) -> preview, downloadable CSV, a note

Run it with `python space/app.py` (port: `GRADIO_SERVER_PORT`, default 7860).
"""

import csv
import functools
import io
import logging
import math
import os
import re
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import httpx
import huggingface_hub
import pandas as pd
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

try:  # registers the custom families with the Auto classes, so they load without trust_remote_code
    import seqclf_hf  # noqa: F401

    HAVE_SEQCLF = True
except ImportError:  # a Space without the package: saved custom models carry their own code
    HAVE_SEQCLF = False

logger = logging.getLogger("seqclf_space")
logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

SPACE_DIR = Path(__file__).resolve().parent
REPO_ROOT = SPACE_DIR.parent
DEFAULT_PORT = 7860
MAX_DEFAULT_MODELS = 6  # output directories picked up from outputs/ when SEQCLF_MODELS is unset
MAX_INPUT_CHARS = 20_000  # longer texts are cut before tokenizing; the model reads far less anyway
FALLBACK_MAX_TOKENS = 512  # for tokenizers that do not say how long a text their model reads
MAX_BATCH_ROWS = 5_000
MAX_UPLOAD = "10mb"  # batch files; 5,000 questions take well under 1 MB
BATCH_SIZE = 64
TEXT_COLUMN_NAMES = ("text", "question", "questions", "sentence", "query", "input", "content")

LABEL_MEANINGS = {
    "ABBR": (
        "Abbreviation",
        "the question asks about an abbreviation: what a short form stands for, or the short form of something.",
    ),
    "DESC": (
        "Description",
        "the question asks for a description: a definition, an explanation, a manner or a reason (what is …, "
        "how does …, why …).",
    ),
    "ENTY": (
        "Entity",
        "the question asks for a thing: an animal, a colour, a food, an instrument, a product, a sport, a word, "
        "an event and the like.",
    ),
    "HUM": ("Human", "the question asks for a person or a group of people: who did something, or who someone is."),
    "LOC": ("Location", "the question asks for a place: a city, a country, a mountain, a river, a state, …"),
    "NUM": (
        "Numeric value",
        "the question asks for a number: a count, a date, a distance, a price, a duration, a size, a speed, "
        "a temperature, …",
    ),
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

# C0 / C1 control characters (but tab and newline) become spaces: they render as nothing, or as garbage.
CONTROL_CHARACTERS = {code: " " for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n"}


# ---------------------------------------------------------------------------------------------------------------
# Models
# ---------------------------------------------------------------------------------------------------------------

_capture = threading.local()  # per request thread: whether to capture the embedding output, and the capture


def _capture_embeddings(module, inputs, output):
    """Forward hook on the input embeddings: in a thread that asked for it, make the output a leaf that takes a
    gradient (gradient x input), and keep it. Other threads' forward passes are left alone."""
    if not getattr(_capture, "active", False):
        return None
    output = output.detach().requires_grad_(True)
    _capture.embeddings = output
    return output


@dataclass
class Encoded:
    """One text, tokenized and cut to the model's maximum length."""

    input_ids: list[int]
    offsets: list[tuple[int, int]] | None  # character span of each token (fast tokenizers)
    word_ids: list[int | None] | None
    special: list[bool]
    truncated: bool


@dataclass
class Classifier:
    name: str
    source: str
    model: torch.nn.Module
    tokenizer: object
    description: str
    max_length: int
    labels: list[str] = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self):
        config = self.model.config
        self.labels = [str(config.id2label[index]) for index in range(config.num_labels)]

    @property
    def uses_attention_pooling(self) -> bool:
        return getattr(self.model.config, "pooling", None) == "attention" and hasattr(self.model, "attention")

    def encode(self, texts: list[str]) -> list[Encoded]:
        """Tokenize, cut each text to `max_length` tokens and say which ones were cut."""
        fast = getattr(self.tokenizer, "is_fast", False)
        # Fast tokenizers keep truncation settings in shared state: one call at a time ("Already borrowed").
        with self.lock:
            batch = self.tokenizer(
                texts,
                truncation=True,
                max_length=self.max_length,
                return_overflowing_tokens=fast,
                return_offsets_mapping=fast,
                return_special_tokens_mask=True,
            )
        sample_of_row = batch.get("overflow_to_sample_mapping") or list(range(len(texts)))
        first_row, truncated = {}, [False] * len(texts)
        for row, sample in enumerate(sample_of_row):
            if sample in first_row:
                truncated[sample] = True  # an overflow window: the text did not fit
            else:
                first_row[sample] = row
        encoded = []
        for sample in range(len(texts)):
            row = first_row[sample]
            encoded.append(
                Encoded(
                    input_ids=list(batch["input_ids"][row]),
                    offsets=[tuple(span) for span in batch["offset_mapping"][row]] if fast else None,
                    word_ids=batch.word_ids(row) if fast else None,
                    special=[bool(flag) for flag in batch["special_tokens_mask"][row]],
                    truncated=truncated[sample],
                )
            )
        return encoded

    def tensors(self, encoded: list[Encoded]) -> dict[str, torch.Tensor]:
        """Right-padded input_ids and attention_mask (the recurrent models want real tokens first)."""
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        length = max(len(item.input_ids) for item in encoded)
        input_ids = torch.full((len(encoded), length), pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(encoded), length), dtype=torch.long)
        for row, item in enumerate(encoded):
            input_ids[row, : len(item.input_ids)] = torch.tensor(item.input_ids, dtype=torch.long)
            attention_mask[row, : len(item.input_ids)] = 1
        return {"input_ids": input_ids, "attention_mask": attention_mask}

    def probabilities(self, encoded: list[Encoded]) -> torch.Tensor:
        """(texts, labels) softmax probabilities."""
        with torch.inference_mode():
            logits = self.model(**self.tensors(encoded)).logits
        return logits.float().softmax(dim=-1)

    def token_scores(self, item: Encoded, target: int) -> tuple[torch.Tensor, str]:
        """How much each token drove the prediction of `target`, and what the scores are."""
        inputs = self.tensors([item])
        if self.uses_attention_pooling:
            with torch.inference_mode():
                outputs = self.model(**inputs, output_attentions=True)
            if outputs.attentions:
                return outputs.attentions[0][0].float(), "attention"
        _capture.active, _capture.embeddings = True, None
        try:
            with torch.enable_grad():
                logits = self.model(**inputs).logits
                embeddings = _capture.embeddings
                if embeddings is None:  # the hook did not fire: no gradient to read
                    return torch.zeros(len(item.input_ids)), "none"
                (gradient,) = torch.autograd.grad(logits[0, target], embeddings)
        finally:
            _capture.active, _capture.embeddings = False, None
        return (gradient * embeddings).sum(-1)[0].detach().float(), "gradient"


def describe(model) -> str:
    """A short description of the architecture, e.g. 'BiLSTM, attention pooling · 0.3M parameters'."""
    config = model.config
    kind = config.model_type
    if kind == "seqclf_rnn":
        name = ("Bi" if config.bidirectional else "") + config.cell_type.upper()
        layers = "×".join(str(size) for size in config.hidden_sizes)
        text = f"{name} ({layers}), {config.pooling} pooling"
    elif kind == "seqclf_cnn":
        text = f"TextCNN, kernels {', '.join(str(k) for k in config.kernel_sizes)}"
    elif kind == "seqclf_transformer":
        text = f"Transformer encoder, {config.num_layers} layers"
    elif kind == "seqclf_manual_rnn":
        text = "hand-written RNN"
    else:
        layers = getattr(config, "num_hidden_layers", None)
        text = f"pretrained {kind} encoder" + (f", {layers} layers" if layers else "")
    parameters = sum(p.numel() for p in model.parameters())
    size = f"{parameters / 1e6:.1f}M" if parameters >= 1e6 else f"{parameters / 1e3:.1f}k"
    return f"{text} · {size} parameters"


def model_max_length(tokenizer, config) -> int:
    """How many tokens the model reads: the tokenizer's limit (training saves it), else the model's positions."""
    limits = [getattr(tokenizer, "model_max_length", None), getattr(config, "max_position_embeddings", None)]
    limits = [int(limit) for limit in limits if isinstance(limit, int) and 0 < limit < 1_000_000]
    return min(limits) if limits else FALLBACK_MAX_TOKENS


@functools.cache
def hub_reachable() -> bool:
    """Whether the Hugging Face Hub answers (asked once). When it does not, switch this process to offline mode
    (HF_HUB_OFFLINE): Hub ids then load from the local cache at once instead of after minutes of retries."""
    if huggingface_hub.constants.is_offline_mode():
        return False
    try:
        httpx.head(huggingface_hub.constants.ENDPOINT, timeout=5)
        return True
    except httpx.HTTPError:
        logger.warning("The Hugging Face Hub is unreachable: Hub ids load from the local cache only.")
        huggingface_hub.constants.HF_HUB_OFFLINE = True  # read at call time by huggingface_hub and transformers
        return False


def _from_pretrained(loader, source: str):
    try:  # trust_remote_code=False fails at once (no prompt) when the family is not registered
        return loader.from_pretrained(source, trust_remote_code=False)
    except Exception as error:  # a custom family without seqclf_hf installed: use the code saved with the model
        try:
            return loader.from_pretrained(source, trust_remote_code=True)
        except Exception:
            raise error from None


def load_classifier(source: str, name: str) -> Classifier:
    path = Path(source).expanduser()
    offline = False
    if path.exists():
        source = str(path)
    elif source.startswith(("/", ".", "~")) or source.count("/") != 1:
        raise FileNotFoundError(f"no such folder {source!r} (a Hub id looks like user/model)")
    else:
        offline = not hub_reachable()
    try:
        model = _from_pretrained(AutoModelForSequenceClassification, source).eval()
        tokenizer = _from_pretrained(AutoTokenizer, source)
    except OSError as error:
        if offline:
            raise OSError(
                f"no local folder {source!r}, and as a Hub id it is not in the local cache (the Hub is unreachable)"
            ) from error
        raise
    if getattr(tokenizer, "padding_side", "right") != "right":
        tokenizer.padding_side = "right"
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # gradient x input only needs the gradient at the embeddings
    model.get_input_embeddings().register_forward_hook(_capture_embeddings)
    classifier = Classifier(
        name=name,
        source=source,
        model=model,
        tokenizer=tokenizer,
        description=describe(model),
        max_length=model_max_length(tokenizer, model.config),
    )
    classifier.probabilities(classifier.encode([EXAMPLES[0]]))  # warm-up, and proof that it runs
    return classifier


def front_matter_models() -> list[str]:
    """The `models:` list of this Space's README front matter (the Hub models the Space demos)."""
    readme = SPACE_DIR / "README.md"
    if not readme.exists():
        return []
    match = re.match(r"---\n(.*?)\n---", readme.read_text(encoding="utf-8"), flags=re.DOTALL)
    if not match:
        return []
    models, inside = [], False
    for line in match.group(1).splitlines():
        if re.match(r"^models:\s*$", line):
            inside = True
        elif inside and (item := re.match(r"^\s+-\s*(\S+)", line)):
            models.append(item.group(1).strip("'\""))
        elif inside and line.strip():
            inside = False
    return models


def model_sources() -> tuple[list[str], str]:
    """The models to load, and where the list came from."""
    names = [name.strip() for name in os.environ.get("SEQCLF_MODELS", "").split(",") if name.strip()]
    if names:
        return names, "SEQCLF_MODELS"
    outputs = REPO_ROOT / "outputs"
    found = sorted(path.parent for path in outputs.glob("*/config.json"))
    found.sort(key=lambda path: path.name != "demo-lstm")  # make demo's model first, the rest by name
    if found:
        return [str(path) for path in found[:MAX_DEFAULT_MODELS]], f"the trained models in {outputs}"
    if os.environ.get("SPACE_ID"):  # running as a Hugging Face Space: the models its README names
        return front_matter_models(), "the README's `models:` list"
    return [], "nothing (SEQCLF_MODELS is unset and outputs/ holds no trained model)"


def display_name(source: str, taken: set[str]) -> str:
    path = Path(source)
    name = path.resolve().name if path.exists() else source
    unique, number = name, 2
    while unique in taken:
        unique, number = f"{name} ({number})", number + 1
    return unique


def load_models() -> tuple[dict[str, Classifier], list[tuple[str, str]], str]:
    sources, origin = model_sources()
    logger.info("Loading models from %s: %s", origin, sources or "none")
    models, errors = {}, []
    for source in sources:
        try:
            name = display_name(source, set(models))
            started = time.perf_counter()
            models[name] = load_classifier(source, name)
            logger.info("Loaded %s from %s in %.1f s", name, source, time.perf_counter() - started)
        except Exception as error:  # one bad entry must not take the others down
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            errors.append((source, message))
            logger.error("Could not load %s: %s", source, message)
    if not models:
        logger.warning("No model loaded. %s", HOW_TO_GET_A_MODEL)
    return models, errors, origin


MODELS, LOAD_ERRORS, MODELS_ORIGIN = load_models()
MODEL_NAMES = list(MODELS)
DEFAULT_MODEL = MODEL_NAMES[0] if MODEL_NAMES else None


# ---------------------------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------------------------


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
    text = decoded
    cleaned = text.translate(CONTROL_CHARACTERS)
    if cleaned != text:
        notes.append("Control characters were replaced by spaces.")
    return cleaned, notes, length


def input_notes(classifier: Classifier, text: str, item: Encoded, length: int) -> list[str]:
    """Say when the model read only part of the text (`length` characters as given), or hardly knew its words."""
    notes = []
    if item.truncated or length > len(text):
        read = text
        if item.truncated and item.offsets:
            ends = [end for (start, end), special in zip(item.offsets, item.special, strict=True) if not special]
            read = text[: max(ends, default=0)]
        limit = (
            f"reads at most {classifier.max_length} tokens"
            if item.truncated
            else f"reads at most {len(text):,} characters"
        )
        notes.append(
            f"The text was truncated: it is {length:,} characters long and {classifier.name} {limit}, so only the "
            f"first {len(read):,} characters (“{shorten(read, 60)}”) were classified; the rest was ignored."
        )
    unk_id = getattr(classifier.tokenizer, "unk_token_id", None)
    real = [token for token, special in zip(item.input_ids, item.special, strict=True) if not special]
    unknown = sum(token == unk_id for token in real) if unk_id is not None else 0
    if real and unknown * 2 > len(real):
        notes.append(
            f"{unknown} of the {len(real)} tokens are not in {classifier.name}'s vocabulary (it learnt English "
            "questions), so this prediction is little more than a guess."
        )
    return notes


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def format_notes(notes: list[str]) -> str:
    return "\n\n".join(f"⚠️ {note}" for note in notes)


def pick_model(name: str | None) -> Classifier | None:
    if name in MODELS:
        return MODELS[name]
    return MODELS.get(DEFAULT_MODEL) if DEFAULT_MODEL else None


def no_models_message() -> str:
    errors = "".join(f"\n- `{source}`: {message}" for source, message in LOAD_ERRORS)
    return f"⚠️ No model is loaded. {HOW_TO_GET_A_MODEL}" + (f"\n\nCould not load:{errors}" if errors else "")


EMPTY_MESSAGE = "✏️ Type a question (or click an example) to classify it."


# ---------------------------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------------------------


def predict(question: str, model: str | None = None) -> tuple[dict[str, float], str]:
    """Classify one question.

    Returns the probability of every label, and a note (Markdown) when the text was empty, longer than the model
    reads, or mostly unknown to it; otherwise the note is empty.
    """
    classifier = pick_model(model)
    if classifier is None:
        return {}, no_models_message()
    text, notes, length = clean_text(question)
    if not text.strip():
        return {}, EMPTY_MESSAGE
    item = classifier.encode([text])[0]
    probabilities = classifier.probabilities([item])[0].tolist()
    notes += input_notes(classifier, text, item, length)
    return dict(zip(classifier.labels, probabilities, strict=True)), format_notes(notes)


def meaning(label: str) -> str:
    if label in LABEL_MEANINGS:
        title, sentence = LABEL_MEANINGS[label]
        return f"{title}: {sentence}"
    return f"class {label} of this model"


def word_scores(text: str, item: Encoded, scores: torch.Tensor, tokenizer) -> list[tuple[int, int, str, float]]:
    """(start, end, word, score) for every word the model read; the scores of a word's sub-word pieces add up.

    Without character offsets (slow tokenizers) the words are the tokens themselves and start = end = -1.
    """
    values = scores.tolist()
    if item.offsets is None:
        tokens = tokenizer.convert_ids_to_tokens(item.input_ids)
        return [
            (-1, -1, token, value)
            for token, value, special in zip(tokens, values, item.special, strict=True)
            if not special
        ]
    merged: dict[object, list] = {}  # word -> [start, end, score]
    for index, ((start, end), special) in enumerate(zip(item.offsets, item.special, strict=True)):
        if special or start == end:
            continue
        word = item.word_ids[index] if item.word_ids and item.word_ids[index] is not None else ("token", index)
        entry = merged.setdefault(word, [start, end, 0.0])
        entry[0], entry[1] = min(entry[0], start), max(entry[1], end)
        entry[2] += values[index]
    return [(start, end, text[start:end], score) for start, end, score in sorted(merged.values())]


def scaled(words: list[tuple[int, int, str, float]], kind: str) -> list[float]:
    """Scores for display: attention weights min-max scaled to [0, 1], gradient x input divided by its largest
    magnitude (so in [-1, 1], the sign kept)."""
    values = [score if math.isfinite(score) else 0.0 for *_, score in words]
    if not values:
        return []
    if kind == "attention":
        low, high = min(values), max(values)
        return [round((value - low) / (high - low), 3) if high > low else 0.0 for value in values]
    largest = max(abs(value) for value in values)
    return [round(value / largest, 3) if largest > 0 else 0.0 for value in values]


def highlight(
    text: str, words: list[tuple[int, int, str, float]], display: list[float], truncated: bool, length: int
) -> list[tuple[str, float | None]]:
    """The text as (piece, score) pairs for gr.HighlightedText: words get their display score, the text between
    them None. A text the model read only the start of (`length` characters as given) ends with a note."""
    if words and words[0][0] < 0:  # no offsets: the tokens, space separated
        return [(f"{word} ", score) for (*_, word, _), score in zip(words, display, strict=True)]
    segments, position = [], 0
    for (start, end, word, _), score in zip(words, display, strict=True):
        if start > position:
            segments.append((text[position:start], None))
        segments.append((word, score))
        position = end
    rest = text[position:]
    if (truncated and rest.strip()) or length > len(text):
        segments.append((f" … [{length - position:,} more characters not read by the model]", None))
    elif rest:
        segments.append((rest, None))
    return segments


def explain(question: str, model: str | None = None) -> tuple[str, list[tuple[str, float | None]]]:
    """Explain a prediction: the predicted class in words, and which words drove it.

    Returns Markdown, and the question as (word, score) pairs: for attention-pooled RNNs the attention weight of
    each word (min-max scaled to [0, 1]), for every other model gradient x input at the word embeddings divided by
    its largest magnitude (positive: pushed towards the predicted class, negative: away from it).
    """
    classifier = pick_model(model)
    if classifier is None:
        return "⚠️ No model is loaded.", []  # the note next to it says how to get one
    text, _, length = clean_text(question)
    if not text.strip():
        return "", []
    item = classifier.encode([text])[0]
    probabilities = classifier.probabilities([item])[0]
    ranked = probabilities.argsort(descending=True).tolist()
    best = ranked[0]
    scores, kind = classifier.token_scores(item, best)
    words = word_scores(text, item, scores, classifier.tokenizer)
    display = scaled(words, kind)
    label = classifier.labels[best]
    lines = [f"### {label} — {meaning(label)}", f"{classifier.name} is {probabilities[best]:.0%} sure."]
    if len(ranked) > 1:
        other = classifier.labels[ranked[1]]
        lines[-1] += f" Runner-up: **{other}** ({probabilities[ranked[1]]:.0%}, {meaning(other).split(':')[0]})."
    top_words = []
    for index in sorted(range(len(words)), key=lambda index: -display[index]):
        if display[index] > 0 and words[index][2].lower() not in top_words and len(top_words) < 3:
            top_words.append(words[index][2].lower())
    top_words = ", ".join(f"**{word}**" for word in top_words)
    if kind == "attention":
        lines.append(
            f"Words its attention pooling weighed most: {top_words}. Highlighted: the attention weight of every "
            "word (darker red = more weight, scaled from the least to the most attended word)."
        )
    elif kind == "gradient":
        lines.append(
            f"Words that pushed hardest towards {label}: {top_words or 'none'}. Highlighted: gradient × input at "
            f"the word embeddings — red words pushed the model towards {label}, purple words away from it."
        )
    return "\n\n".join(lines), highlight(text, words, display, item.truncated, length)


def compare(question: str, models: list[str] | None = None) -> tuple[pd.DataFrame, str]:
    """Run one question through several models.

    Returns a table with one row per model (prediction, its meaning, confidence, latency in milliseconds and the
    probability of every label) and a note (Markdown) about the input, empty when there is nothing to say.
    """
    chosen = [name for name in (MODEL_NAMES if models is None else models) if name in MODELS]
    columns = ["model", "architecture", "prediction", "meaning", "confidence", "latency_ms"]
    if not MODELS:
        return pd.DataFrame(columns=columns), no_models_message()
    if not chosen:
        return pd.DataFrame(columns=columns), "✏️ Tick at least one model to compare."
    text, notes, length = clean_text(question)
    if not text.strip():
        return pd.DataFrame(columns=columns), EMPTY_MESSAGE
    rows, label_columns = [], []
    for name in chosen:
        classifier = MODELS[name]
        started = time.perf_counter()
        item = classifier.encode([text])[0]
        probabilities = classifier.probabilities([item])[0].tolist()
        latency = (time.perf_counter() - started) * 1000
        best = max(range(len(probabilities)), key=probabilities.__getitem__)
        label = classifier.labels[best]
        row = {
            "model": name,
            "architecture": classifier.description,
            "prediction": label,
            "meaning": meaning(label).split(":")[0],
            "confidence": round(probabilities[best], 4),
            "latency_ms": round(latency, 2),
        }
        for other, probability in zip(classifier.labels, probabilities, strict=True):
            row[other] = round(probability, 4)
            if other not in label_columns:
                label_columns.append(other)
        rows.append(row)
        notes += [note for note in input_notes(classifier, text, item, length) if note not in notes]
    return pd.DataFrame(rows, columns=columns + label_columns), format_notes(notes)


def comparison_labels(table: pd.DataFrame) -> list:
    """The comparison table as one gr.Label per loaded model (hidden for the models not compared)."""
    table = table if isinstance(table, pd.DataFrame) else pd.DataFrame()
    updates = []
    for name in MODEL_NAMES:
        matches = table[table["model"] == name] if "model" in table.columns else table.iloc[0:0]
        if matches.empty:
            updates.append(gr.Label(value=None, visible=False))
            continue
        row = matches.iloc[0]
        probabilities = {label: float(row[label]) for label in MODELS[name].labels if label in row.index}
        title = f"{name} — {float(row['latency_ms']):.1f} ms"
        updates.append(gr.Label(value=probabilities, label=title, visible=True))
    return updates


def read_questions(path: Path, text_column: str | None) -> tuple[pd.DataFrame | None, str, str]:
    """The uploaded rows, the name of their text column, and an error message ("" when it worked)."""
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig", errors="replace")
    if "\x00" in text:
        return None, "", "This does not look like a text file (it contains NUL bytes). Upload a CSV or TXT file."
    if not text.strip():
        return None, "", "The file is empty."
    suffix = path.suffix.lower()
    if suffix == ".txt":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return pd.DataFrame({"text": lines}), "text", ""
    if suffix not in (".csv", ".tsv"):
        return None, "", f"Upload a .csv or .txt file (got {path.suffix or 'a file without extension'})."
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel_tab if suffix == ".tsv" else csv.excel
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as error:
        return None, "", f"Could not read the CSV: {error}."
    header, body = rows[0], [row for row in rows[1:] if any(cell.strip() for cell in row)]
    header = [name.strip() for name in header]
    wanted = (text_column or "").strip()
    lowered = {name.lower(): name for name in header}
    if wanted:
        column = lowered.get(wanted.lower())
        if column is None:
            return None, "", f"The CSV has no column {wanted!r}; its columns are {', '.join(map(repr, header))}."
    else:
        column = next((lowered[name] for name in TEXT_COLUMN_NAMES if name in lowered), None)
        if column is None:
            return (
                None,
                "",
                f"No text column found: the CSV's columns are {', '.join(map(repr, header))}. Name the column "
                f"`text` or `question`, type its name under *Text column*, or upload a .txt file with one question "
                "per line.",
            )
    width = len(header)
    body = [(row + [""] * width)[:width] for row in body]
    unique = [name if header.index(name) == i else f"{name}.{i}" for i, name in enumerate(header)]
    return pd.DataFrame(body, columns=unique), unique[header.index(column)], ""


def classify_batch(file, text_column: str = "", model: str | None = None) -> tuple[pd.DataFrame, str | None, str]:
    """Classify every question of an uploaded CSV (a text column) or TXT file (one question per line).

    Returns a preview of the first rows, the path of a CSV with the input columns plus `predicted_label`,
    `confidence` and one `prob_<label>` column per label, and a note (Markdown) on what was done.
    """
    empty = pd.DataFrame(columns=["text", "predicted_label", "confidence"])
    classifier = pick_model(model)
    if classifier is None:
        return empty, None, no_models_message()
    if not file:
        return (
            empty,
            None,
            "📄 Upload a .csv file with a `text` (or `question`) column, or a .txt file with one question per line.",
        )
    path = Path(file if isinstance(file, str) else getattr(file, "name", str(file)))
    try:
        table, column, error = read_questions(path, text_column)
    except OSError as error_reading:
        return empty, None, f"⚠️ Could not read the file: {error_reading}."
    if error:
        return empty, None, f"⚠️ {error}"
    notes = []
    if len(table) > MAX_BATCH_ROWS:
        notes.append(f"Only the first {MAX_BATCH_ROWS:,} of {len(table):,} rows were classified.")
        table = table.iloc[:MAX_BATCH_ROWS].copy()
    if table.empty:
        return empty, None, "⚠️ The file holds no questions."
    texts = [clean_text(value)[0] for value in table[column].fillna("").astype(str)]
    todo = [index for index, text in enumerate(texts) if text.strip()]
    started = time.perf_counter()
    probabilities: dict[int, list[float]] = {}
    truncated = 0
    for begin in range(0, len(todo), BATCH_SIZE):
        indices = todo[begin : begin + BATCH_SIZE]
        encoded = classifier.encode([texts[index] for index in indices])
        truncated += sum(item.truncated for item in encoded)
        for index, row in zip(indices, classifier.probabilities(encoded).tolist(), strict=True):
            probabilities[index] = row
    seconds = time.perf_counter() - started
    predicted, confidence = [], []
    for index in range(len(texts)):
        row = probabilities.get(index)
        best = max(range(len(row)), key=row.__getitem__) if row else None
        predicted.append(classifier.labels[best] if row else "")
        confidence.append(round(row[best], 4) if row else None)
    table = table.copy()
    table["predicted_label"], table["confidence"] = predicted, confidence
    for position, label in enumerate(classifier.labels):
        table[f"prob_{label}"] = [
            round(probabilities[i][position], 4) if i in probabilities else None for i in range(len(texts))
        ]
    output = Path(tempfile.mkdtemp(prefix="seqclf_batch_")) / f"{path.stem}_predictions.csv"
    table.to_csv(output, index=False)
    skipped = len(texts) - len(todo)
    plural = "s" if len(todo) != 1 else ""
    summary = (
        f"Classified {len(todo):,} question{plural} from column `{column}` with {classifier.name} in {seconds:.2f} s."
    )
    if skipped:
        notes.append(f"{skipped:,} empty row{'s were' if skipped > 1 else ' was'} left unclassified.")
    if truncated:
        notes.append(
            f"{truncated:,} question{'s were' if truncated > 1 else ' was'} longer than {classifier.max_length} "
            "tokens and truncated (the model read only the start)."
        )
    preview = table[[column, "predicted_label", "confidence"]].head(20).rename(columns={column: "text"})
    return preview, str(output), "\n\n".join([summary, format_notes(notes)]).strip()


# ---------------------------------------------------------------------------------------------------------------
# Interface
# ---------------------------------------------------------------------------------------------------------------


def models_markdown() -> str:
    if not MODELS:
        return no_models_message()
    lines = [f"**Models** (from {MODELS_ORIGIN}):"]
    lines += [f"- **{name}** — {clf.description}; reads up to {clf.max_length} tokens" for name, clf in MODELS.items()]
    lines += [f"- ⚠️ could not load `{source}`: {message}" for source, message in LOAD_ERRORS]
    return "\n".join(lines)


CLASSES_MARKDOWN = "\n".join(
    ["| class | meaning |", "|---|---|"]
    + [f"| **{label}** | {title}: {text} |" for label, (title, text) in LABEL_MEANINGS.items()]
)

with gr.Blocks(title="Question classifier · seqclf-hf") as demo:
    gr.Markdown(
        "# What is this question asking for?\n"
        "Text classifiers trained with seqclf-hf on question classification (TREC's six "
        "coarse classes): an abbreviation, a description, an entity, a human, a location or a number."
    )
    # Shown only when something is wrong: no model at all, or one that did not load.
    gr.Markdown(models_markdown(), visible=not MODELS or bool(LOAD_ERRORS), elem_id="status")
    with gr.Tab("Classify"):
        with gr.Row(equal_height=False):
            with gr.Column(scale=5):
                question = gr.Textbox(
                    label="Question",
                    placeholder="e.g. How far is the Moon from the Earth?",
                    lines=1,
                    max_lines=4,
                    elem_id="question",
                )
                model_choice = gr.Dropdown(
                    choices=[(f"{name} — {clf.description}", name) for name, clf in MODELS.items()],
                    value=DEFAULT_MODEL,
                    label="Model",
                    elem_id="model",
                )
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
                probabilities_out = gr.Label(num_top_classes=6, label="Label probabilities", elem_id="probabilities")
                notice_out = gr.Markdown(label="note", elem_id="notice")
                explanation_out = gr.Markdown(label="explanation", elem_id="explanation")
                highlights_out = gr.HighlightedText(
                    label="Which words drove the decision",
                    show_legend=True,
                    combine_adjacent=False,
                    elem_id="highlights",
                )

    with gr.Tab("Compare models"):
        with gr.Row():
            compare_question = gr.Textbox(
                label="Question", value=EXAMPLES[10], lines=1, max_lines=4, scale=4, elem_id="compare-question"
            )
            compare_models = gr.CheckboxGroup(
                choices=MODEL_NAMES, value=MODEL_NAMES, label="Models", scale=3, elem_id="compare-models"
            )
        compare_button = gr.Button("Compare", variant="primary", elem_id="compare")
        compare_notice = gr.Markdown(label="note")
        with gr.Row():
            compare_labels = [gr.Label(num_top_classes=3, label=name, visible=False) for name in MODEL_NAMES]
        compare_table = gr.Dataframe(label="Side by side", interactive=False, wrap=True, elem_id="compare-table")
        gr.Examples(examples=[[text] for text in EXAMPLES], inputs=[compare_question], examples_per_page=12)

    with gr.Tab("Batch"):
        gr.Markdown(
            "Upload a **.csv** with a `text` or `question` column (or name the column below), or a **.txt** file "
            f"with one question per line (at most {MAX_BATCH_ROWS:,} rows). You get a CSV with the predicted label, "
            "its confidence and every class probability."
        )
        with gr.Row():
            batch_file = gr.File(
                label="Questions (.csv or .txt)", file_types=[".csv", ".tsv", ".txt"], elem_id="batch-file"
            )
            with gr.Column():
                batch_column = gr.Textbox(label="Text column (optional)", placeholder="text")
                batch_model = gr.Dropdown(
                    choices=[(f"{name} — {clf.description}", name) for name, clf in MODELS.items()],
                    value=DEFAULT_MODEL,
                    label="Model",
                )
                batch_button = gr.Button("Classify file", variant="primary")
        batch_notice = gr.Markdown(label="note")
        batch_download = gr.File(label="Predictions (CSV)", interactive=False)
        batch_preview = gr.Dataframe(label="First rows", interactive=False, wrap=True)

    with gr.Tab("About"):
        gr.Markdown(models_markdown())
        gr.Markdown("### The six classes\n" + CLASSES_MARKDOWN)
        gr.Markdown(
            "**API.** Every tab is an endpoint: `from gradio_client import Client; "
            "Client(URL).predict('Who wrote Hamlet?', api_name='/predict')`; also `/explain`, `/compare`, `/batch`."
        )

    gr.on(
        [classify_button.click, question.submit],
        predict,
        [question, model_choice],
        [probabilities_out, notice_out],
        api_name="predict",
    ).then(explain, [question, model_choice], [explanation_out, highlights_out], api_name="explain")
    examples.load_input_event.then(
        predict, [question, model_choice], [probabilities_out, notice_out], api_visibility="private"
    ).then(explain, [question, model_choice], [explanation_out, highlights_out], api_visibility="private")
    clear_button.click(
        lambda: ("", {}, "", "", []),
        None,
        [question, probabilities_out, notice_out, explanation_out, highlights_out],
        api_visibility="private",
    )
    gr.on(
        [compare_button.click, compare_question.submit],
        compare,
        [compare_question, compare_models],
        [compare_table, compare_notice],
        api_name="compare",
    ).then(comparison_labels, [compare_table], compare_labels, api_visibility="private")
    batch_button.click(
        classify_batch,
        [batch_file, batch_column, batch_model],
        [batch_preview, batch_download, batch_notice],
        api_name="batch",
    )

# Requests run in worker threads: inference is thread-safe, tokenizing is serialised per model.
demo.queue(default_concurrency_limit=int(os.environ.get("SEQCLF_CONCURRENCY", "4")))

if __name__ == "__main__":
    demo.launch(
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", DEFAULT_PORT)),
        theme=gr.themes.Soft(),
        max_file_size=MAX_UPLOAD,
    )
