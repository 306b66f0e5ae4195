"""Texts longer than the model's window (`--long_text chunk`): each text is cut into windows of `--max_seq_length`
tokens that share `--chunk_stride` tokens, every window is scored, and a text's score aggregates its windows'.

The settings are saved in the model's config (`long_text`), so every loader windows a text as training did.
Aggregation works on logits: the mean of the windows' logits, or the largest logit of each output (for multi-label
the same as the largest probability, since the sigmoid is monotonic).
"""

import logging
from dataclasses import asdict, dataclass

import numpy as np

from .errors import DataError
from .run_layout import LONG_TEXT_KEY, SPLITS
from .tasks import ProblemType

logger = logging.getLogger(__name__)

TRUNCATE, CHUNK = "truncate", "chunk"
AGGREGATIONS = ("mean", "max")


@dataclass(frozen=True)
class Windows:
    """How a chunked model windows and aggregates: `stride` tokens shared by consecutive windows, at most
    `max_chunks` windows per text (None: every window), `aggregation` mean or max of the windows' logits."""

    stride: int
    max_chunks: int | None
    aggregation: str

    def to_config(self) -> dict:
        return asdict(self)

    @classmethod
    def from_config(cls, config) -> "Windows | None":
        """The settings a model was trained with; None for a model that truncates."""
        saved = getattr(config, LONG_TEXT_KEY, None)
        return cls(**saved) if saved else None

    def check_stride(self, tokenizer, max_length: int) -> None:
        """The stride must leave new tokens in every window (the tokenizers library would panic otherwise)."""
        room = max_length - tokenizer.num_special_tokens_to_add()
        if self.stride >= room:
            raise DataError(
                f"--chunk_stride {self.stride} leaves no new tokens in a window of {max_length} tokens, {room} of "
                f"them text: give a --chunk_stride below {room}."
            )

    def tokenize(self, tokenizer, texts: list[str], max_length: int) -> tuple[dict, list[int]]:
        """Every window of every text (the first `max_chunks` of each), with `overflow_to_sample_mapping` saying
        whose window each row is; and how many windows each text had before the cap."""
        self.check_stride(tokenizer, max_length)
        encoded = tokenizer(
            texts, truncation=True, max_length=max_length, stride=self.stride, return_overflowing_tokens=True
        )
        owners = list(encoded.pop("overflow_to_sample_mapping"))
        kept = [row for row, position in enumerate(window_positions(owners)) if self.keeps(position)]
        windows = {name: [values[row] for row in kept] for name, values in encoded.items()}
        windows["overflow_to_sample_mapping"] = [owners[row] for row in kept]
        return windows, np.bincount(owners, minlength=len(texts)).tolist()

    def keeps(self, position: int) -> bool:
        return self.max_chunks is None or position < self.max_chunks

    def aggregate(self, logits: np.ndarray, owners: list[int], texts: int) -> np.ndarray:
        """(texts, outputs) from (windows, outputs): each text's windows' logits, averaged or their maximum."""
        owners = np.asarray(owners)
        if self.aggregation == "max":
            result = np.full((texts, logits.shape[1]), -np.inf, dtype=logits.dtype)
            np.maximum.at(result, owners, logits)
            return result
        result = np.zeros((texts, logits.shape[1]), dtype=logits.dtype)
        np.add.at(result, owners, logits)
        return (result / np.bincount(owners, minlength=texts)[:, None]).astype(logits.dtype)


def window_positions(owners: list[int]) -> list[int]:
    """Each window's place among its text's windows (0 for the first), the windows of a text being consecutive."""
    positions = []
    for row, owner in enumerate(owners):
        positions.append(positions[-1] + 1 if row and owners[row - 1] == owner else 0)
    return positions


def default_aggregation(problem_type: str) -> str:
    """Multi-label: a label found in any window counts (max); one label or a number: the windows' mean."""
    return "max" if problem_type == ProblemType.MULTI_LABEL else "mean"


def windows_of(data_args, problem_type: str) -> Windows | None:
    """The run's windows from its options (None: --long_text truncate); the stride defaults to a quarter of the
    window."""
    if data_args.long_text != CHUNK:
        return None
    stride = data_args.max_seq_length // 4 if data_args.chunk_stride is None else data_args.chunk_stride
    aggregation = data_args.chunk_aggregation or default_aggregation(problem_type)
    return Windows(stride, data_args.max_chunks, aggregation)


def window_summary(counts: list[int], max_chunks: int | None, prefix: str) -> dict:
    """metrics.json's figures for a split's windows: texts longer than one window, windows per text (median, max)
    and texts the cap cut."""
    values = np.asarray(counts)
    return {
        f"{prefix}_texts_over_one_window": int((values > 1).sum()),
        f"{prefix}_windows_per_text_median": float(np.median(values)) if len(values) else 0.0,
        f"{prefix}_windows_per_text_max": int(values.max()) if len(values) else 0,
        f"{prefix}_texts_over_max_chunks": int((values > max_chunks).sum()) if max_chunks else 0,
    }


def window_figures(tokenized, windows: Windows) -> dict:
    """Per split, texts longer than one window and windows per text (metrics.json keys, with the split's prefix)."""
    figures = {}
    for split in SPLITS:
        if split.name in tokenized:
            data = tokenized[split.name]
            counts = dict(zip(data["text_id"], data["text_windows"], strict=True))  # one entry per text
            figures.update(window_summary(list(counts.values()), windows.max_chunks, split.prefix))
    return figures


def log_windows(figures: dict, window: int) -> None:
    """How many texts of each split needed more than one window, and how many windows a text took."""
    for split in SPLITS:
        if f"{split.prefix}_texts_over_one_window" in figures:
            logger.info(
                "%s split: %d texts longer than one window of %d tokens; windows per text: median %.0f, max %d.",
                *(split.name, figures[f"{split.prefix}_texts_over_one_window"], window),
                *(figures[f"{split.prefix}_windows_per_text_median"], figures[f"{split.prefix}_windows_per_text_max"]),
            )
            if figures[f"{split.prefix}_texts_over_max_chunks"]:
                logger.warning(
                    "%s split: %d texts have more windows than --max_chunks; only their first windows are read.",
                    *(split.name, figures[f"{split.prefix}_texts_over_max_chunks"]),
                )
