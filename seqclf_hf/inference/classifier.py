"""`Classifier`: a loaded model and its tokenizer, on raw texts: encode, score, decide, predict and explain."""

import dataclasses
import threading
import unicodedata
from dataclasses import dataclass, field

import torch

from ..errors import UserInputError
from ..run_layout import DEFAULT_THRESHOLD, THRESHOLD_KEY
from ..tasks import spec
from ..windows import Windows
from .explanation import Explanation, attention_weights, gradient_x_input, word_scores

FALLBACK_MAX_TOKENS = 512  # for tokenizers that do not say how long a text their model reads
# C0 / C1 control characters (but tab and newline) become spaces: they render as nothing, or as garbage.
CONTROL_CHARACTERS = {code: " " for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if chr(code) not in "\t\n"}


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


def has_visible_text(text: str) -> bool:
    """Whether `text` has a character that shows: not only whitespace and invisible format characters (zero-width
    spaces and joiners, byte-order marks: Unicode category Cf), of which a model reads nothing to classify."""
    return any(not char.isspace() and unicodedata.category(char) != "Cf" for char in text)


@dataclass
class Encoded:
    """One text (or text pair), tokenized and cut to the model's maximum length."""

    input_ids: list[int]
    offsets: list[tuple[int, int]] | None  # character span of each token (fast tokenizers)
    word_ids: list[int | None] | None
    special: list[bool]
    truncated: bool
    token_type_ids: list[int] | None = None  # which text of a pair each token belongs to, for encoders that read it
    more: list["Encoded"] = field(default_factory=list)  # a chunked model: the text's windows after this first one

    @property
    def read_characters(self) -> int | None:
        """How many characters of the text the model reads: the end of its last real token (None: no offsets)."""
        if self.offsets is None:
            return None
        return max(
            (end for (_, end), special in zip(self.offsets, self.special, strict=True) if not special), default=0
        )


class Classifier:
    """A loaded model and its tokenizer: `predict`, `probabilities`, `encode` and `explain` on raw texts."""

    def __init__(self, source: str, model, tokenizer):
        self.source, self.model, self.tokenizer = source, model, tokenizer
        config = model.config
        self.labels = [str(config.id2label[index]) for index in range(len(config.id2label))]
        self.max_length = model_max_length(tokenizer, config)
        self.windows = Windows.from_config(config)  # None: a text longer than max_length is truncated
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
        (pairs: not said, since overflowing windows of a pair do not start with its first tokens). A chunked model
        (`windows`) keeps a text's next windows in `more` (up to its `max_chunks`); cut means windows left out."""
        fast = getattr(self.tokenizer, "is_fast", False)
        single_texts = not any(isinstance(text, tuple) for text in texts)
        if self.windows is not None and not single_texts:
            raise UserInputError(f"{self.source} reads long texts in windows, which a text pair cannot be cut into.")
        with self.lock:
            batch = self.tokenizer(
                texts,
                truncation=True,
                max_length=self.max_length,
                stride=self.windows.stride if self.windows else 0,
                return_overflowing_tokens=fast and single_texts,
                return_offsets_mapping=fast,
                return_special_tokens_mask=True,
            )
        rows_of_text = [[] for _ in texts]
        for row, sample in enumerate(batch.get("overflow_to_sample_mapping") or range(len(texts))):
            rows_of_text[sample].append(row)
        return [self.encoded_text(batch, rows, fast) for rows in rows_of_text]

    def encoded_text(self, batch, rows: list[int], fast: bool) -> Encoded:
        """The text whose windows are `rows` of `batch`: its first window, the others in `more` when chunked."""
        kept = [row for position, row in enumerate(rows) if self.windows and self.windows.keeps(position)]
        windows = [
            Encoded(
                input_ids=list(batch["input_ids"][row]),
                offsets=[tuple(span) for span in batch["offset_mapping"][row]] if fast else None,
                word_ids=batch.word_ids(row) if fast else None,
                special=[bool(flag) for flag in batch["special_tokens_mask"][row]],
                truncated=len(rows) > max(len(kept), 1),  # an overflow window left out: the text did not fit
                token_type_ids=batch["token_type_ids"][row] if "token_type_ids" in batch else None,
            )
            for row in kept or rows[:1]
        ]
        return dataclasses.replace(windows[0], more=windows[1:])

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
        """`probabilities` of texts `encode` tokenized, for callers that also read what it says of them. A chunked
        text's windows are scored `batch_size` at a time with the others' and aggregated, so however long a text,
        one forward pass holds `batch_size` windows."""
        windows = [window for item in encoded for window in (item, *item.more)]
        logits = self.window_logits(windows, batch_size)
        if self.windows is not None:
            owners = [index for index, item in enumerate(encoded) for _ in range(1 + len(item.more))]
            logits = torch.from_numpy(self.windows.aggregate(logits.numpy(), owners, len(encoded)))
        return self.scores(logits)

    def window_logits(self, windows: list[Encoded], batch_size: int) -> torch.Tensor:
        """(windows, outputs) logits, `batch_size` windows per forward pass."""
        # Batches of texts of similar length: padded to their longest, random batches of short questions are mostly
        # padding (docs: the performance page measures the difference).
        order = sorted(range(len(windows)), key=lambda index: len(windows[index].input_ids))
        rows = [
            self.forward_logits(self.tensors([windows[index] for index in order[start : start + batch_size]]))
            for start in range(0, len(windows), batch_size)
        ]
        if not rows:
            return torch.empty(0, len(self.labels))
        return torch.cat(rows)[torch.tensor(order).argsort()]  # back in the order of `windows`

    def forward_logits(self, inputs: dict) -> torch.Tensor:
        """(texts, outputs) logits of one tokenized batch."""
        with self.lock, torch.inference_mode():
            return self.model(**inputs).logits.float()

    def scores(self, logits: torch.Tensor) -> torch.Tensor:
        """What `pipeline` reports for the config's problem type."""
        return spec(self.config.problem_type).scores(logits)

    def decide(self, scores: torch.Tensor, threshold: float | None = None) -> list[str]:
        """The prediction of each row of `scores` (from `probabilities`), as text: the best label (one label per text);
        the labels scored above `threshold` (None: the model's own) joined by "|", "" when none is (several); the
        value (a regression)."""
        threshold = self.threshold if threshold is None else threshold
        return spec(self.config.problem_type).decide(scores, self.labels, threshold)

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
        # The text tokenized once, for the scores (all its windows, when chunked) and the explanation (its first).
        probabilities = self.encoded_scores([item])[0]
        best = int(probabilities.argmax())
        with self.lock:
            scores, method = attention_weights(self.model, inputs)
            if scores is None:
                scores, method = gradient_x_input(self.model, inputs, best), "gradient"
        return Explanation(
            label=self.labels[best],
            probabilities=dict(zip(self.labels, probabilities.tolist(), strict=True)),
            method=method,
            words=word_scores(self.tokenizer, text, item, scores),
            truncated=item.truncated,
            prediction=self.decide(probabilities[None])[0],
        )


def model_max_length(tokenizer, config) -> int:
    """How many tokens the model reads: the tokenizer's limit (training saves it), else the model's positions."""
    limits = [getattr(tokenizer, "model_max_length", None), getattr(config, "max_position_embeddings", None)]
    limits = [int(limit) for limit in limits if isinstance(limit, int) and 0 < limit < 1_000_000]
    return min(limits) if limits else FALLBACK_MAX_TOKENS
