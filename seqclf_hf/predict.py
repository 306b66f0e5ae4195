"""Predictions of a saved model on a file of texts, and as text: one label, the labels above a threshold, or a value.

python -m seqclf_hf.predict outputs/lstm new_questions.csv --output preds.csv [--batch_size 64]
seqclf-hf predict outputs/lstm questions.txt --output preds.csv      # a .txt file: one text per line

The file (.csv, .json, .jsonl, .parquet or .txt) is read in chunks, so it may be larger than memory; every row is
written out, its columns followed by `prediction` and `score`; a row without text gets an empty prediction.
"""

import argparse
import csv
import itertools
import logging
import sys
from pathlib import Path

import datasets
from tqdm.auto import tqdm

from .data import FILE_BUILDERS
from .errors import ConfigError, DataError, UserInputError
from .inference import Classifier, load_classifier

logger = logging.getLogger(__name__)

STREAM_BUILDERS = {**FILE_BUILDERS, ".txt": "text"}  # a .txt file: one text per line
RESULTS_FILE = "predict_results.csv"


def decide(
    classifier: Classifier, texts: list, threshold: float = 0.5, batch_size: int = 32
) -> list[tuple[str, float]]:
    """(prediction, score) per text: the best label and its probability (one label per text); the labels scored
    above `threshold` joined by "|" and the highest score (several); the value twice (a regression)."""
    if not texts:
        return []
    scores = classifier.probabilities(texts, batch_size)
    kind = classifier.config.problem_type
    if kind == "regression":
        return [(f"{value:.6g}", value) for value in scores[:, 0].tolist()]
    if kind == "multi_label_classification":
        chosen = [
            "|".join(label for label, score in zip(classifier.labels, row, strict=True) if score > threshold)
            for row in scores.tolist()
        ]
        return list(zip(chosen, scores.max(-1).values.tolist(), strict=True))
    best = scores.max(-1)
    return [
        (classifier.labels[i], score) for i, score in zip(best.indices.tolist(), best.values.tolist(), strict=True)
    ]


def read_chunks(path: Path, chunk_size: int):
    """The file's rows (dicts of its columns), `chunk_size` at a time, read only as they are needed."""
    builder = STREAM_BUILDERS.get(path.suffix)
    if builder is None:
        raise DataError(f"Cannot predict {path}: use one of {', '.join(STREAM_BUILDERS)}.")
    if not path.is_file():
        raise DataError(f"File to predict {str(path)!r} does not exist.")
    rows = iter(datasets.load_dataset(builder, data_files=str(path), split="train", streaming=True))
    return iter(lambda: list(itertools.islice(rows, chunk_size)), [])


def row_text(row: dict, columns: list[str], delimiter: str):
    """What the model reads of a row, as training read it: one text, a (text, text_pair) tuple, or texts joined."""
    texts = [str(row[column]) if row[column] is not None else "" for column in columns]
    if len(texts) == 2:
        return tuple(texts)
    return delimiter.join(texts)


def first_chunk(chunks, path: Path, columns: list[str]) -> list[dict]:
    """The first rows, checked to hold the text columns, before anything is written."""
    first = next(chunks, [])
    if not first:
        raise DataError(f"{path} has no rows to predict.")
    missing = [column for column in columns if column not in first[0]]
    if missing:
        raise DataError(
            f"{path} has no column {missing[0]!r}; its columns are {list(first[0])}. Name the text column(s) with "
            "--text_column_names."
        )
    return first


def predict_file(
    classifier: Classifier,
    path: str | Path,
    output: str | Path,
    columns: list[str] = ("text",),
    delimiter: str = " ",
    threshold: float = 0.5,
    batch_size: int = 32,
    max_rows: int | None = None,
) -> tuple[int, int]:
    """Write every row of `path` (the first `max_rows`, when given) with its prediction and score to the CSV
    `output`; returns (rows, rows without text). A row whose text columns are all empty gets an empty prediction:
    no row is dropped."""
    path, columns = Path(path), list(columns)
    chunks = read_chunks(path, batch_size * 32)
    first = first_chunk(chunks, path, columns)
    rows = empty = 0
    with open(output, "w", newline="") as handle, tqdm(desc=f"predicting {path.name}", unit=" rows") as progress:
        writer = csv.DictWriter(handle, fieldnames=[*first[0], "prediction", "score"])
        writer.writeheader()
        for chunk in itertools.chain([first], chunks):
            chunk = chunk[: max_rows - rows] if max_rows else chunk
            texts = [row_text(row, columns, delimiter) for row in chunk]
            filled = [index for index, text in enumerate(texts) if "".join(text).strip()]
            decided = dict(
                zip(filled, decide(classifier, [texts[i] for i in filled], threshold, batch_size), strict=True)
            )
            for index, row in enumerate(chunk):
                prediction, score = decided.get(index, ("", ""))
                writer.writerow({**row, "prediction": prediction, "score": score})
            rows, empty = rows + len(chunk), empty + len(chunk) - len(filled)
            progress.update(len(chunk))
            if rows == max_rows:
                break
    if empty:
        logger.warning("%d of the %d rows of %s have no text: their prediction is empty.", empty, rows, path)
    return rows, empty


def main(argv: list[str] | None = None, prog: str = "python -m seqclf_hf.predict") -> None:
    parser = argparse.ArgumentParser(prog=prog, description="Predict every row of a file with a saved model.")
    parser.add_argument("model", help="an output_dir (adapters too), a merged/ folder or a Hub id")
    parser.add_argument("file", help="a .csv, .json, .jsonl, .parquet or .txt (one text per line) file")
    parser.add_argument("--output", required=True, help="the CSV to write: the file's columns, prediction, score")
    parser.add_argument("--batch_size", type=int, default=32, help="texts per forward pass")
    parser.add_argument(
        "--text_column_names", default="text", help="the text column, or two (a text pair) comma-separated"
    )
    parser.add_argument("--text_column_delimiter", default=" ", help="joins more than two text columns")
    parser.add_argument("--threshold", type=float, default=0.5, help="multi-label: a label is predicted above it")
    args = parser.parse_args(argv)
    if args.batch_size <= 0 or not 0 < args.threshold < 1:
        raise ConfigError("--batch_size must be above 0 and --threshold between 0 and 1 (exclusive).")
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        classifier = load_classifier(args.model)
    except (OSError, ValueError) as error:
        raise ConfigError(f"Could not load the model {args.model!r}: {error}") from error
    columns = [name.strip() for name in args.text_column_names.split(",") if name.strip()]
    rows, _ = predict_file(
        classifier, args.file, args.output, columns, args.text_column_delimiter, args.threshold, args.batch_size
    )
    print(f"{rows} rows predicted; written to {args.output}")


if __name__ == "__main__":
    try:
        main()
    except UserInputError as error:
        sys.exit(f"error: {error}")
