"""Predictions of a saved model on a file of texts, and as text: one label, the labels above a threshold, or a value.

python -m seqclf_hf.predict outputs/lstm new_questions.csv --output preds.csv [--batch_size 64]
seqclf-hf predict outputs/lstm questions.txt --output preds.csv      # a .txt file: one text per line

The file (.csv, .tsv, .json, .jsonl, .parquet or .txt) is read in chunks, so it may be larger than memory; every row
is written out, its columns followed by `prediction` and `score` (several labels per text: `score_<label>` for every
label); a row without text, or a JSON Lines line that is not valid JSON, gets an empty prediction.
"""

import argparse
import csv
import io
import itertools
import json
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

import datasets
from tqdm.auto import tqdm

from .data import FILE_BUILDERS
from .errors import ConfigError, DataError, UserInputError, first_line
from .inference import MULTI_LABEL, REGRESSION, Classifier, clean_text, load_classifier

logger = logging.getLogger(__name__)

STREAM_BUILDERS = {**FILE_BUILDERS, ".tsv": "csv", ".txt": "text"}  # a .txt file: one text per line
RESULTS_FILE = "predict_results.csv"
# Without --text_column_names, the first of these the file has (in any case) is the text.
TEXT_COLUMN_NAMES = ("text", "question", "questions", "sentence", "query", "input", "content")
HEAD_BYTES = 20_000  # what the delimiter of a CSV is guessed from
ENCODING = {"encoding": "utf-8-sig", "encoding_errors": "replace"}  # a byte-order mark or a non-UTF-8 byte is no error


@dataclass
class Written:
    """What `predict_file` wrote: rows, of which `empty` without text (and `unreadable` of them not valid JSON, by line
    number), `truncated` longer than the model reads; `more` when rows after `max_rows` were left out; the
    `text_columns` read."""

    rows: int = 0
    empty: int = 0
    truncated: int = 0
    unreadable: list[int] = field(default_factory=list)
    more: bool = False
    text_columns: list[str] = field(default_factory=list)
    left_out: set[str] = field(default_factory=set)  # JSON Lines keys that the first rows lack: not in the header
    max_length: int = 0  # the tokens the model reads

    def notes(self) -> list[str]:
        """What a user of the predictions should know: rows left out or without a prediction, texts cut, columns
        left out; one sentence each."""
        notes = [f"Only the first {self.rows:,} rows were predicted; the file has more."] if self.more else []
        if self.empty:
            notes.append(f"{self.empty:,} of the {self.rows:,} rows have no text: their prediction is empty.")
        if self.unreadable:
            lines = ", ".join(map(str, self.unreadable[:10])) + (", …" if len(self.unreadable) > 10 else "")
            notes.append(
                f"Lines that are not a JSON object, so rows without text: {lines}; fix them and predict again."
            )
        if self.truncated:
            notes.append(
                f"{self.truncated:,} texts are longer than the model reads ({self.max_length} tokens) and were "
                "truncated: it read their start."
            )
        if self.left_out:
            notes.append(
                f"Columns that only rows after the first ones have are not in the output: {sorted(self.left_out)}."
            )
        return notes


def decide(
    classifier: Classifier, texts: list, threshold: float | None = None, batch_size: int = 32
) -> list[tuple[str, float]]:
    """(prediction, score) per text: `Classifier.decide`'s prediction, and the highest score (the value of a
    regression)."""
    scores = classifier.probabilities(texts, batch_size)
    return list(zip(classifier.decide(scores, threshold), scores.max(-1).values.tolist(), strict=True))


def text_columns_of(names: list[str], wanted: list[str] | None, file_name: str, how: str) -> list[str]:
    """The columns of `names` that hold the text: `wanted` (in any case), or the first with a usual name
    (TEXT_COLUMN_NAMES). `how` says how a user names the text column, for the error."""
    lowered = {name.strip().lower(): name for name in reversed(names)}  # reversed: the first of equal names wins
    if not wanted:
        found = next((lowered[name] for name in TEXT_COLUMN_NAMES if name in lowered), None)
        if found is None:
            raise DataError(
                f"No text column found: the columns of {file_name} are {names}. Name the column `text` or `question`, "
                f"or name it with {how}."
            )
        return [found]
    missing = [name for name in wanted if name.strip().lower() not in lowered]
    if missing:
        raise DataError(
            f"{file_name} has no column {missing[0]!r}; its columns are {names}. Name the text column(s) with {how}."
        )
    return [name if name in names else lowered[name.strip().lower()] for name in wanted]


def text_head(path: Path) -> str:
    """The start of a text file, decoded; a binary file is an error."""
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if b"\x00" in head:
        raise DataError(f"{path.name} does not look like a text file (it holds NUL bytes): give a UTF-8 text file.")
    return head.decode(ENCODING["encoding"], errors=ENCODING["encoding_errors"])


def reader_options(path: Path, builder: str) -> dict:
    """How `datasets` reads a .txt file (checked to be text) or a CSV (`csv_options`)."""
    if builder == "text":
        text_head(path)  # a binary file is no list of texts
        return ENCODING
    return csv_options(path) if builder == "csv" else {}


def csv_options(path: Path) -> dict:
    """How `datasets` reads a CSV as written: its delimiter guessed (`,;\\t|`), every cell a string ("007" stays so,
    "NA" is a text, an empty cell "")."""
    text = text_head(path)
    if not text.strip():
        raise DataError(f"{path.name} is empty: give a CSV with a header line and one row per text.")
    try:
        delimiter = csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
    except csv.Error:  # e.g. a single column
        delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    lines = csv.reader(io.StringIO(text), delimiter=delimiter)
    header, first = next(lines), next(lines, [])
    if len(first) > len(header):  # pandas would take the first cells for an index and shift every other one
        raise DataError(
            f"Line 2 of {path.name} has {len(first)} fields and its header {len(header)}: name every column, or quote "
            f"the cells that hold a {delimiter!r}."
        )
    if repeated := next((name for name in header if header.count(name) > 1), None):
        raise DataError(f"{path.name} has two columns named {repeated!r}: give every column its own name.")
    features = datasets.Features({name: datasets.Value("string") for name in header})
    return {"sep": delimiter, "features": features, "keep_default_na": False, **ENCODING}


def jsonl_rows(path: Path, unreadable: list[int]):
    """The rows of a JSON Lines file, read here rather than by `datasets`, which cannot say which line it failed on: a
    line that is not a JSON object is an empty row (its number added to `unreadable`), so no row is lost."""
    with path.open(encoding=ENCODING["encoding"], errors=ENCODING["encoding_errors"]) as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue  # a blank line is no row in JSON Lines
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                row = None
            if not isinstance(row, dict):
                unreadable.append(number)
                row = {}
            yield row


def read_chunks(path: Path, chunk_size: int, unreadable: list[int]):
    """The file's rows (dicts of its columns), `chunk_size` at a time, read only as they are needed."""
    builder = STREAM_BUILDERS.get(path.suffix.lower())
    if builder is None:
        raise DataError(f"Cannot predict {path}: use one of {', '.join(STREAM_BUILDERS)}.")
    if not path.is_file():
        raise DataError(f"File to predict {str(path)!r} does not exist.")
    if path.suffix.lower() == ".jsonl":
        rows = jsonl_rows(path, unreadable)
    else:
        options = reader_options(path, builder)
        rows = iter(datasets.load_dataset(builder, data_files=str(path), split="train", streaming=True, **options))
    try:
        while chunk := list(itertools.islice(rows, chunk_size)):
            yield chunk
    except ValueError as error:  # pandas' and pyarrow's parse errors, cut to their first line
        raise DataError(
            f"Could not read {path.name}: {first_line(error)}. Fix that row, or save the file again."
        ) from error


def row_text(row: dict, columns: list[str], delimiter: str):
    """What the model reads of a row, as training read it: one text, a (text, text_pair) tuple, or texts joined;
    lone surrogates and control characters replaced, as `clean_text` does."""
    texts = [clean_text(str(row[column]))[0] if row.get(column) is not None else "" for column in columns]
    if len(texts) == 2:
        return tuple(texts)
    return delimiter.join(texts)


def first_chunk(chunks, path: Path, columns: list[str] | None, how: str, predicted: list[str]):
    """The first rows, the file's columns and its text columns, checked before anything is written (none of the
    columns may be one of the `predicted` ones)."""
    first = next(chunks, [])
    if not first:
        raise DataError(f"{path.name} holds no rows to predict.")
    names = list(dict.fromkeys(name for row in first for name in row))  # the rows of JSON Lines may differ
    if taken := [name for name in names if name in predicted]:
        raise DataError(f"{path.name} already has a column {taken[0]!r}, which the predictions go in: rename it.")
    return first, names, text_columns_of(names, columns, path.name, how)


def score_columns(classifier: Classifier, every_score: bool) -> list[str]:
    """`score`: the probability of the prediction (the value of a regression, alone); `score_<label>`: every label's
    score, for several labels per text always (the prediction is all those above the threshold)."""
    every = [f"score_{label}" for label in classifier.labels]
    if classifier.config.problem_type == MULTI_LABEL:
        return every
    return ["score", *every] if every_score and classifier.config.problem_type != REGRESSION else ["score"]


def predicted_rows(classifier: Classifier, texts: list, threshold: float | None, batch_size: int, columns: list[str]):
    """The values of the prediction `columns` (`prediction` and `score_columns`) per text, and how many of the texts
    were longer than the model reads."""
    if not texts:
        return [], 0
    encoded = classifier.encode(texts)
    scores = classifier.encoded_scores(encoded, batch_size)
    rows = []
    for prediction, row in zip(classifier.decide(scores, threshold), scores.tolist(), strict=True):
        values = {"prediction": prediction, "score": max(row)}
        values |= {f"score_{label}": score for label, score in zip(classifier.labels, row, strict=True)}
        rows.append({column: values[column] for column in columns})
    return rows, sum(item.truncated for item in encoded)


def predict_file(
    classifier: Classifier,
    path: str | Path,
    output: str | Path,
    columns: list[str] | None = None,
    delimiter: str = " ",
    threshold: float | None = None,
    batch_size: int = 32,
    max_rows: int | None = None,
    every_score: bool = False,
    how: str = "--text_column_names",
) -> Written:
    """Write every row of `path` (the first `max_rows`, when given) with its prediction and score(s) to the CSV
    `output`. The text is in `columns` (None: the first column with a usual name; `how` says how a user names them,
    for the error); `threshold` None is the model's own; `every_score` adds every label's score to one label's.

    A row whose text columns are all empty, or a line of JSON Lines that cannot be read, gets an empty prediction:
    no row is dropped. A file that cannot be read leaves no `output` behind: a part of the predictions would pass for
    all of them."""
    path, written = Path(path), Written(max_length=classifier.max_length)
    chunks = read_chunks(path, batch_size * 32, written.unreadable)
    predicted = ["prediction", *score_columns(classifier, every_score)]
    first, header, written.text_columns = first_chunk(chunks, path, columns, how, predicted)
    try:
        with open(output, "w", newline="") as handle, tqdm(desc=f"predicting {path.name}", unit=" rows") as progress:
            writer = csv.DictWriter(handle, fieldnames=[*header, *predicted], extrasaction="ignore")
            writer.writeheader()
            for chunk in itertools.chain([first], chunks):
                if max_rows is not None:
                    written.more, chunk = len(chunk) > max_rows - written.rows, chunk[: max_rows - written.rows]
                if not chunk:
                    break
                texts = [row_text(row, written.text_columns, delimiter) for row in chunk]
                filled = [index for index, text in enumerate(texts) if "".join(text).strip()]
                values, truncated = predicted_rows(
                    classifier, [texts[i] for i in filled], threshold, batch_size, predicted
                )
                by_index = dict(zip(filled, values, strict=True))
                writer.writerows({**row, **by_index.get(index, {})} for index, row in enumerate(chunk))
                written.left_out |= {name for row in chunk for name in row} - set(header)
                written.rows, written.empty = written.rows + len(chunk), written.empty + len(chunk) - len(filled)
                written.truncated += truncated
                progress.update(len(chunk))
    except BaseException:
        Path(output).unlink(missing_ok=True)
        raise
    for note in written.notes():
        logger.warning("%s: %s", path, note)
    return written


def main(argv: list[str] | None = None, prog: str = "python -m seqclf_hf.predict") -> None:
    parser = argparse.ArgumentParser(prog=prog, description="Predict every row of a file with a saved model.")
    parser.add_argument("model", help="an output_dir (adapters too), a merged/ folder or a Hub id")
    parser.add_argument("file", help="a .csv, .tsv, .json, .jsonl, .parquet or .txt (one text per line) file")
    parser.add_argument("--output", required=True, help="the CSV to write: the file's columns, prediction, score(s)")
    parser.add_argument("--batch_size", type=int, default=32, help="texts per forward pass")
    usual = "/".join(TEXT_COLUMN_NAMES)
    parser.add_argument(
        "--text_column_names", help=f"the text column, or two (a text pair) comma-separated (default: {usual})"
    )
    parser.add_argument("--text_column_delimiter", default=" ", help="joins more than two text columns")
    parser.add_argument(
        "--threshold", type=float, help="multi-label: a label is predicted above it (default: training's)"
    )
    args = parser.parse_args(argv)
    if args.batch_size <= 0 or (args.threshold is not None and not 0 < args.threshold < 1):
        raise ConfigError("--batch_size must be above 0 and --threshold between 0 and 1 (exclusive).")
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.INFO)
    try:
        classifier = load_classifier(args.model)
    except (OSError, ValueError) as error:
        raise ConfigError(f"Could not load the model {args.model!r}: {error}") from error
    columns = [name.strip() for name in (args.text_column_names or "").split(",") if name.strip()]
    written = predict_file(
        classifier, args.file, args.output, columns, args.text_column_delimiter, args.threshold, args.batch_size
    )
    print(f"{written.rows} rows predicted; written to {args.output}")


if __name__ == "__main__":
    try:
        main()
    except UserInputError as error:
        sys.exit(f"error: {error}")
