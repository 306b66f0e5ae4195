"""The one loader for everything `recipes/train.py` writes, and what a loaded model does: predict and explain.

`load_classifier(source)` takes an output_dir or a Hub id holding a whole model (a custom family, with or without
seqclf_hf installed; any pretrained encoder; a `merged/` LoRA model) or a peft adapter (lora, prefix, prompt: its
base model, labels and tokenizer found beside it), or a folder `seqclf_hf.export` wrote (served by onnxruntime).
`classification_pipeline`, the Space, the benchmark's latency
figures and `seqclf_hf.push` all load through here.
"""

import importlib
import json
import logging
import math
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from peft import AutoPeftModelForSequenceClassification, PeftModel
from peft.utils import CONFIG_NAME as ADAPTER_CONFIG
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, pipeline
from transformers.modeling_outputs import SequenceClassifierOutput

from . import models  # noqa: F401  (registers the custom families with the Auto classes)
from .errors import ModelSetupError, first_line
from .hub_access import hub_reachable
from .safety import INCOMPLETE_SUFFIX, REPLACED_SUFFIX

logger = logging.getLogger(__name__)

# An adapter's label names in id order and problem type: its base model's config does not have them.
LABELS_FILE = "labels.json"
FALLBACK_MAX_TOKENS = 512  # for tokenizers that do not say how long a text their model reads
ONNX_FILE = "model.onnx"  # the graph of an export folder (seqclf_hf.export), beside its config and tokenizer
MULTI_LABEL, REGRESSION = "multi_label_classification", "regression"
THRESHOLD_KEY = "multi_label_threshold"  # config.json (labels.json of an adapter): the threshold training decided by
DEFAULT_THRESHOLD = 0.5  # models saved before training stored its threshold
# C0 / C1 control characters (but tab and newline) become spaces: they render as nothing, or as garbage.
CONTROL_CHARACTERS = {code: " " for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n"}


def is_adapter(source: str | Path) -> bool:
    return (Path(source) / ADAPTER_CONFIG).is_file()


def finished_runs(folder: str | Path) -> list[Path]:
    """The output_dirs in `folder` that `load_classifier` loads, by name: whole models (config.json) and peft adapters,
    each followed by the ONNX exports inside it (`seqclf_hf.export` writes `onnx/`, `onnx-int8/` there). A run or
    export still being written (`<name>.incomplete`), or one it is replacing (`<name>.replaced`, for a moment), is
    left out."""
    runs = [path for path in finished(Path(folder)) if (path / "config.json").is_file() or is_adapter(path)]
    return [found for run in runs for found in (run, *filter(is_onnx_export, finished(run)))]


def finished(folder: Path) -> list[Path]:
    """The folders in `folder`, by name, but those being written or replaced."""
    return [
        path
        for path in sorted(folder.glob("*"))
        if path.is_dir() and not path.name.endswith((INCOMPLETE_SUFFIX, REPLACED_SUFFIX))
    ]


def adapter_base(adapter_dir: str | Path) -> str:
    """The base model an adapter was trained on: a folder inside the adapter folder (saved there, by a relative
    path, for families trained from scratch), or the encoder's Hub id or folder as training named it."""
    base = json.loads((Path(adapter_dir) / ADAPTER_CONFIG).read_text())["base_model_name_or_path"]
    inside = Path(adapter_dir) / base
    return str(inside) if not Path(base).is_absolute() and inside.is_dir() else base


def is_onnx_export(source: str | Path) -> bool:
    return (Path(source) / ONNX_FILE).is_file()


def import_optional(name: str):
    """A module of the `export` extra, or a one-line error saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ModelSetupError(f"ONNX export and serving need {name}: pip install 'seqclf-hf[export]'") from None


def load_config(source: str | Path):
    """config.json of a whole model; for a peft adapter (which has none), its base model's."""
    return from_pretrained(AutoConfig, adapter_base(source) if is_adapter(source) else source)


def from_pretrained(loader, source, **kwargs):
    """`loader.from_pretrained`, first with the families seqclf_hf registers; for a custom family where seqclf_hf is
    not importable, with the code saved beside the model (`trust_remote_code=True`)."""
    try:  # trust_remote_code=False fails at once (no prompt) when the family is not registered
        return loader.from_pretrained(source, trust_remote_code=False, **kwargs)
    except (OSError, ValueError) as error:
        try:
            return loader.from_pretrained(source, trust_remote_code=True, **kwargs)
        except Exception:
            raise error from None


def load_model(source: str | Path):
    """The classifier `source` holds, in eval mode; an adapter on its base model, with the trained labels."""
    source = str(source)
    if not is_adapter(source):
        return from_pretrained(AutoModelForSequenceClassification, source).eval()
    saved = json.loads((Path(source) / LABELS_FILE).read_text())
    # {"labels", "problem_type"}; adapters saved before problem types hold the label list alone.
    labels, problem_type = (saved, None) if isinstance(saved, list) else (saved["labels"], saved["problem_type"])
    id2label = dict(enumerate(labels))
    label_maps = {"id2label": id2label, "label2id": {label: i for i, label in id2label.items()}}
    label_maps["problem_type"] = problem_type
    base = adapter_base(source)
    if Path(base).is_dir() and Path(base).is_relative_to(Path(source)):  # saved with the adapter
        base_model = from_pretrained(AutoModelForSequenceClassification, base, **label_maps)
        model = PeftModel.from_pretrained(base_model, source)
    else:
        model = AutoPeftModelForSequenceClassification.from_pretrained(source, **label_maps)
    if THRESHOLD_KEY in saved:  # set after loading: a model class takes no keyword it does not know
        setattr(model.config, THRESHOLD_KEY, saved[THRESHOLD_KEY])
    return model.eval()


def load_tokenizer(source: str | Path):
    tokenizer = from_pretrained(AutoTokenizer, str(source))
    tokenizer.padding_side = "right"  # recurrent models read real tokens first
    return tokenizer


def classification_pipeline(source: str | Path, **kwargs):
    """pipeline("text-classification") for what a run saved: a whole model, or an adapter with its base."""
    return pipeline("text-classification", model=load_model(source), tokenizer=load_tokenizer(source), **kwargs)


def clean_text(text: str) -> tuple[str, list[str]]:
    """`text` as a tokenizer can read it (lone surrogates replaced by U+FFFD, control characters by spaces), and notes
    saying what was replaced."""
    notes = []
    # Lone surrogates (possible in JSON) cannot be encoded; valid pairs are joined, lone ones become U+FFFD.
    decoded = text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    if decoded.count("\ufffd") > text.count("\ufffd"):
        notes.append("Characters that are not valid Unicode (lone surrogates) were replaced by �.")
    cleaned = decoded.translate(CONTROL_CHARACTERS)
    if cleaned != decoded:
        notes.append("Control characters were replaced by spaces.")
    return cleaned, notes


@dataclass
class Encoded:
    """One text (or text pair), tokenized and cut to the model's maximum length."""

    input_ids: list[int]
    offsets: list[tuple[int, int]] | None  # character span of each token (fast tokenizers)
    word_ids: list[int | None] | None
    special: list[bool]
    truncated: bool
    token_type_ids: list[int] | None = None  # which text of a pair each token belongs to, for encoders that read it

    @property
    def read_characters(self) -> int | None:
        """How many characters of the text the model reads: the end of its last real token (None: no offsets)."""
        if self.offsets is None:
            return None
        return max(
            (end for (_, end), special in zip(self.offsets, self.special, strict=True) if not special), default=0
        )


@dataclass
class Explanation:
    """How much each word drove the prediction of `label`: attention weights (`method="attention"`, models with
    attention pooling) or gradient x input at the word embeddings (`"gradient"`, every other model).

    `words` holds (start, end, word, score) per word read; the scores of a word's pieces add up. Without character
    offsets (slow tokenizers) the words are the tokens and start = end = -1.
    """

    label: str
    probabilities: dict[str, float]
    method: str
    words: list[tuple[int, int, str, float]]
    truncated: bool
    prediction: str = ""  # what the model predicts (`Classifier.decide`): `label`, several labels, or a value

    def display_scores(self) -> list[float]:
        """The word scores for display: attention weights min-max scaled to [0, 1], gradient x input divided by its
        largest magnitude (so in [-1, 1], the sign kept)."""
        values = [score if math.isfinite(score) else 0.0 for *_, score in self.words]
        if not values:
            return []
        if self.method == "attention":
            low, high = min(values), max(values)
            return [round((value - low) / (high - low), 3) if high > low else 0.0 for value in values]
        largest = max(abs(value) for value in values)
        return [round(value / largest, 3) if largest > 0 else 0.0 for value in values]

    def segments(self, text: str) -> list[tuple[str, float | None]]:
        """`text` up to the last word read, as (piece, score) pairs (e.g. for gr.HighlightedText): the words with their
        `display_scores`, the text between them with None. Without offsets: the tokens, each followed by a space."""
        display = self.display_scores()
        if self.words and self.words[0][0] < 0:
            return [(f"{word} ", score) for (*_, word, _), score in zip(self.words, display, strict=True)]
        segments, position = [], 0
        for (start, end, word, _), score in zip(self.words, display, strict=True):
            segments += [(text[position:start], None)] if start > position else []
            segments.append((word, score))
            position = end
        return segments


class Classifier:
    """A loaded model and its tokenizer: `predict`, `probabilities`, `encode` and `explain` on raw texts."""

    def __init__(self, source: str, model, tokenizer):
        self.source, self.model, self.tokenizer = source, model, tokenizer
        config = model.config
        self.labels = [str(config.id2label[index]) for index in range(len(config.id2label))]
        self.max_length = model_max_length(tokenizer, config)
        # One call at a time: fast tokenizers keep truncation settings in shared state, and explain() hooks the model.
        self.lock = threading.Lock()

    @property
    def config(self):
        return self.model.config

    @property
    def threshold(self) -> float:
        """Multi-label: a label is predicted when its score is above this (training's, saved with the model)."""
        return getattr(self.config, THRESHOLD_KEY, DEFAULT_THRESHOLD)

    @property
    def description(self) -> str:
        """The family's own description, or the encoder's type and depth, and the size."""
        if hasattr(self.config, "describe"):
            text = self.config.describe()
        else:
            layers = getattr(self.config, "num_hidden_layers", None)
            text = f"A pretrained {self.config.model_type} encoder" + (f" ({layers} layers)" if layers else "")
        return f"{text} · {self.size}"

    @property
    def size(self) -> str:
        parameters = sum(p.numel() for p in self.model.parameters())
        return (f"{parameters / 1e6:.1f}M" if parameters >= 1e6 else f"{parameters / 1e3:.1f}k") + " parameters"

    def encode(self, texts: list[str] | list[tuple[str, str]]) -> list[Encoded]:
        """Tokenize texts or (text, text_pair) tuples, cut each to `max_length` tokens and say which ones were cut
        (pairs: not said, since overflowing windows of a pair do not start with its first tokens)."""
        fast = getattr(self.tokenizer, "is_fast", False)
        single_texts = not any(isinstance(text, tuple) for text in texts)
        with self.lock:
            batch = self.tokenizer(
                texts,
                truncation=True,
                max_length=self.max_length,
                return_overflowing_tokens=fast and single_texts,
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
        return [
            Encoded(
                input_ids=list(batch["input_ids"][row]),
                offsets=[tuple(span) for span in batch["offset_mapping"][row]] if fast else None,
                word_ids=batch.word_ids(row) if fast else None,
                special=[bool(flag) for flag in batch["special_tokens_mask"][row]],
                truncated=truncated[sample],
                token_type_ids=batch["token_type_ids"][row] if "token_type_ids" in batch else None,
            )
            for sample, row in sorted(first_row.items())
        ]

    def tensors(self, encoded: list[Encoded]) -> dict[str, torch.Tensor]:
        """Right-padded input_ids and attention_mask: (texts, longest)."""
        pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        length = max(len(item.input_ids) for item in encoded)
        input_ids = torch.full((len(encoded), length), pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(encoded), length), dtype=torch.long)
        for row, item in enumerate(encoded):
            input_ids[row, : len(item.input_ids)] = torch.tensor(item.input_ids, dtype=torch.long)
            attention_mask[row, : len(item.input_ids)] = 1
        inputs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if encoded[0].token_type_ids is not None:
            inputs["token_type_ids"] = torch.zeros_like(input_ids)
            for row, item in enumerate(encoded):
                inputs["token_type_ids"][row, : len(item.token_type_ids)] = torch.tensor(item.token_type_ids)
        return inputs

    def probabilities(self, texts: list[str], batch_size: int = 32) -> torch.Tensor:
        """(texts, labels) scores, `batch_size` texts per forward pass: softmax probabilities (one label per text),
        sigmoid scores (several), the predicted value (a regression: one column)."""
        return self.encoded_scores(self.encode(texts), batch_size)

    def encoded_scores(self, encoded: list[Encoded], batch_size: int = 32) -> torch.Tensor:
        """`probabilities` of texts `encode` tokenized, for callers that also read what it says of them."""
        # Batches of texts of similar length: padded to their longest, random batches of TREC questions were half
        # padding (MiniLM predicted 1.5x as many questions/s over the dev split in length order).
        order = sorted(range(len(encoded)), key=lambda index: len(encoded[index].input_ids))
        rows = [
            self.forward_scores(self.tensors([encoded[index] for index in order[start : start + batch_size]]))
            for start in range(0, len(encoded), batch_size)
        ]
        if not rows:
            return torch.empty(0, len(self.labels))
        return torch.cat(rows)[torch.tensor(order).argsort()]  # back in the order of `encoded`

    def forward_scores(self, inputs: dict) -> torch.Tensor:
        """(texts, labels) scores of one tokenized batch."""
        with self.lock, torch.inference_mode():
            return self.scores(self.model(**inputs).logits.float())

    def scores(self, logits: torch.Tensor) -> torch.Tensor:
        """What `pipeline` reports for the config's problem type."""
        if self.config.problem_type == REGRESSION:
            return logits
        if self.config.problem_type == MULTI_LABEL:
            return logits.sigmoid()
        return logits.softmax(dim=-1)

    def decide(self, scores: torch.Tensor, threshold: float | None = None) -> list[str]:
        """The prediction of each row of `scores` (from `probabilities`), as text: the best label (one label per text);
        the labels scored above `threshold` (None: the model's own) joined by "|", "" when none is (several); the
        value (a regression)."""
        if self.config.problem_type == REGRESSION:
            return [f"{value:.6g}" for value in scores[:, 0].tolist()]
        if self.config.problem_type == MULTI_LABEL:
            threshold = self.threshold if threshold is None else threshold
            rows = [zip(self.labels, row, strict=True) for row in scores.tolist()]
            return ["|".join(label for label, score in row if score > threshold) for row in rows]
        return [self.labels[index] for index in scores.argmax(-1).tolist()]

    def predict(self, texts: str | tuple | list, top_k: int | None = 1, batch_size: int = 32):
        """[{"label", "score"}, ...] per text (or (text, text_pair) tuple), best first: `top_k` of them (None: every
        label). One text in, one list out; a list in, a list of lists out."""
        single = isinstance(texts, (str, tuple))
        probabilities = self.probabilities([texts] if single else list(texts), batch_size)
        ranked = [
            [{"label": self.labels[i], "score": row[i].item()} for i in row.argsort(descending=True)[:top_k].tolist()]
            for row in probabilities
        ]
        return ranked[0] if single else ranked

    def explain(self, text: str) -> Explanation:
        """The predicted label and how much each word drove it (see `Explanation`)."""
        item = self.encode([text])[0]
        inputs = self.tensors([item])
        probabilities = self.forward_scores(inputs)[0]  # the text tokenized once, for the scores and the explanation
        best = int(probabilities.argmax())
        scores, method = self.attention_weights(inputs)
        if scores is None:
            scores, method = self.gradient_x_input(inputs, best), "gradient"
        return Explanation(
            label=self.labels[best],
            probabilities=dict(zip(self.labels, probabilities.tolist(), strict=True)),
            method=method,
            words=self.word_scores(text, item, scores),
            truncated=item.truncated,
            prediction=self.decide(probabilities[None])[0],
        )

    def attention_weights(self, inputs: dict) -> tuple[torch.Tensor | None, str]:
        """(seq,) attention-pooling weights, for models that pool that way and return them."""
        if getattr(self.config, "pooling", None) != "attention":
            return None, ""
        with self.lock, torch.inference_mode():
            attentions = self.model(**inputs, output_attentions=True).attentions
        return (attentions[0][0].float(), "attention") if attentions else (None, "")

    def gradient_x_input(self, inputs: dict, target: int) -> torch.Tensor:
        """(seq,) gradient of the `target` logit times the word embeddings, summed over the embedding size."""
        captured = []

        def keep(module, args, output):  # make the embeddings a leaf that takes a gradient
            captured.append(output.detach().requires_grad_(True))
            return captured[-1]

        with self.lock:
            handle = self.model.get_input_embeddings().register_forward_hook(keep)
            try:
                with torch.enable_grad():
                    logits = self.model(**inputs).logits
                    (gradient,) = torch.autograd.grad(logits[0, target], captured[0])
            finally:
                handle.remove()
        return (gradient * captured[0]).sum(-1)[0].detach().float()

    def word_scores(self, text: str, item: Encoded, scores: torch.Tensor) -> list[tuple[int, int, str, float]]:
        values = scores.tolist()
        if item.offsets is None:
            tokens = self.tokenizer.convert_ids_to_tokens(item.input_ids)
            pairs = zip(tokens, values, item.special, strict=True)
            return [(-1, -1, token, value) for token, value, special in pairs if not special]
        merged: dict[object, list] = {}  # word -> [start, end, score]
        for index, ((start, end), special) in enumerate(zip(item.offsets, item.special, strict=True)):
            if special or start == end:
                continue
            word = item.word_ids[index] if item.word_ids[index] is not None else ("token", index)
            entry = merged.setdefault(word, [start, end, 0.0])
            entry[0], entry[1] = min(entry[0], start), max(entry[1], end)
            entry[2] += values[index]
        return [(start, end, text[start:end], score) for start, end, score in sorted(merged.values())]


class OnnxModel:
    """An exported graph behind what `Classifier` reads of a model: `config`, and a call that returns `.logits`."""

    def __init__(self, path: Path, config):
        onnxruntime = import_optional("onnxruntime")
        self.path, self.config = path, config
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # one knob (torch.set_num_threads) for both runtimes
        # onnxruntime's fused SkipLayerNormalization kernel ran 4.5x slower than the Add + LayerNormalization it
        # replaces (1,666 x 384 floats: 3.7 ms vs 0.8 ms, 1 thread); without it MiniLM serves 1.25x the questions/s.
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=["SkipLayerNormFusion"]
        )

    def __call__(self, **inputs: torch.Tensor) -> SequenceClassifierOutput:
        """The graph's inputs (input_ids, attention_mask and, exported from a tokenizer that gives them,
        token_type_ids) taken from `inputs`."""
        feed = {graph_input.name: inputs[graph_input.name].numpy() for graph_input in self.session.get_inputs()}
        return SequenceClassifierOutput(logits=torch.from_numpy(self.session.run(["logits"], feed)[0]))


class OnnxClassifier(Classifier):
    """A folder `seqclf_hf.export` wrote: `predict`, `probabilities` and `encode` as `Classifier`'s, on onnxruntime."""

    @property
    def size(self) -> str:
        return f"ONNX graph of {self.model.path.stat().st_size / 1e6:.1f} MB"

    def explain(self, text: str) -> Explanation:
        raise ModelSetupError(
            f"{self.source} is an ONNX export, which has no gradients or attention weights to explain a prediction "
            "with: load the trained model folder it was exported from instead."
        )


def model_max_length(tokenizer, config) -> int:
    """How many tokens the model reads: the tokenizer's limit (training saves it), else the model's positions."""
    limits = [getattr(tokenizer, "model_max_length", None), getattr(config, "max_position_embeddings", None)]
    limits = [int(limit) for limit in limits if isinstance(limit, int) and 0 < limit < 1_000_000]
    return min(limits) if limits else FALLBACK_MAX_TOKENS


def load_classifier(source: str | Path) -> Classifier:
    """A `Classifier` for an output_dir (whole model or adapter), a `merged/` folder, or a Hub id; an `OnnxClassifier`
    for a folder `seqclf_hf.export` wrote.

    A path that is not there fails at once rather than as a bad Hub id; without a network a Hub id loads from the
    local cache or fails at once (seqclf_hf.hub_access), with a message saying so.
    """
    path = Path(source).expanduser()
    if path.exists():
        return load_classifier_from(str(path))
    if str(source).startswith(("/", ".", "~")) or str(source).count("/") != 1:
        raise FileNotFoundError(f"no such folder {str(source)!r} (a Hub id looks like user/model)")
    offline = not hub_reachable()
    try:
        return load_classifier_from(str(source))
    except OSError as error:
        if not offline:
            raise
        raise OSError(
            f"no local folder {str(source)!r}, and as a Hub id it is not in the local cache (the Hub is unreachable)"
        ) from error


def load_classifier_from(source: str) -> Classifier:
    """A `Classifier` for a local folder or Hub id; an `OnnxClassifier` for a folder `seqclf_hf.export` wrote."""
    if is_onnx_export(source):
        model = OnnxModel(Path(source) / ONNX_FILE, load_config(source))
        return OnnxClassifier(str(source), model, load_tokenizer(source))
    model = load_model(source)
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # explain() needs a gradient at the embeddings only
    return Classifier(source, model, load_tokenizer(source))


def load_classifiers(sources: list[str], warm_up_text: str) -> tuple[dict[str, Classifier], list[tuple[str, str]]]:
    """The sources that load (each run once on `warm_up_text`, which builds caches and proves that it runs), by a
    unique display name, and (source, first line of the error) for the others: one bad source must not take the
    others down."""
    classifiers, errors = {}, []
    for source in sources:
        started = time.perf_counter()
        try:
            classifier = load_classifier(source)
            classifier.predict(warm_up_text)
        except Exception as error:
            message = first_line(error)
            errors.append((source, message))
            logger.error("Could not load %s: %s", source, message)
            continue
        name = display_name(source, set(classifiers))
        classifiers[name] = classifier
        logger.info("Loaded %s from %s in %.1f s", name, source, time.perf_counter() - started)
    return classifiers, errors


def display_name(source: str, taken: set[str]) -> str:
    """A folder's name (an export: `run/onnx`), or the Hub id; numbered when `taken` has it already."""
    path, name = Path(source).resolve(), source
    if path.exists():
        name = f"{path.parent.name}/{path.name}" if is_onnx_export(path) else path.name
    unique, number = name, 2
    while unique in taken:
        unique, number = f"{name} ({number})", number + 1
    return unique
