"""How much each word drove a prediction: attention-pooling weights, or gradient x input at the word embeddings."""

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .classifier import Encoded


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


def attention_weights(model, inputs: dict) -> tuple[torch.Tensor | None, str]:
    """(seq,) attention-pooling weights, for models that pool that way and return them."""
    if getattr(model.config, "pooling", None) != "attention":
        return None, ""
    with torch.inference_mode():
        attentions = model(**inputs, output_attentions=True).attentions
    return (attentions[0][0].float(), "attention") if attentions else (None, "")


def gradient_x_input(model, inputs: dict, target: int) -> torch.Tensor:
    """(seq,) gradient of the `target` logit times the word embeddings, summed over the embedding size."""
    captured = []

    def keep(module, args, output):  # make the embeddings a leaf that takes a gradient
        captured.append(output.detach().requires_grad_(True))
        return captured[-1]

    handle = model.get_input_embeddings().register_forward_hook(keep)
    try:
        with torch.enable_grad():
            logits = model(**inputs).logits
            (gradient,) = torch.autograd.grad(logits[0, target], captured[0])
    finally:
        handle.remove()
    return (gradient * captured[0]).sum(-1)[0].detach().float()


def word_scores(tokenizer, text: str, item: "Encoded", scores: torch.Tensor) -> list[tuple[int, int, str, float]]:
    """(start, end, word, score) per word of `text` the model read: the scores of a word's tokens added up."""
    values = scores.tolist()
    if item.offsets is None:
        tokens = tokenizer.convert_ids_to_tokens(item.input_ids)
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
