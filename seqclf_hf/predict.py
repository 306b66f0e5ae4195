"""Predictions of a saved model on a file of texts, and as text: one label, the labels above a threshold, or a value.

seqclf-hf predict outputs/lstm new_questions.csv --output preds.csv [--batch_size 64]
seqclf-hf predict outputs/lstm questions.txt --output preds.csv      # a .txt file: one text per line

The file (any format reader.py reads: .csv, .tsv, .json, .jsonl, .parquet, .txt, .label) is read in chunks, so it
may be larger than memory; every row is written out, its cells as the file holds them, followed by `prediction` and
`score` (several labels per text: `score_<label>` for every label); a row without text, or a JSON Lines line that is
not valid JSON, gets an empty prediction. A file that is not valid in its encoding (--file_encoding, default UTF-8)
is refused, as training refuses it. A cell that a spreadsheet would run as a formula (it starts with = + - @, a tab
or a carriage return, and is not a plain number) is written behind a single quote, OWASP's rule against CSV
injection, unless --raw_cells.
"""

import csv
import itertools
import logging
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import transformers
from tqdm.auto import tqdm

from .cli import CommandParser
from .errors import ConfigError, DataError
from .inference import Classifier, clean_text, has_visible_text, load_classifier
from .reader import FORMATS, TEXT_COLUMN_NAMES, file_format, read_rows, text_columns
from .tasks import ProblemType

logger = logging.getLogger(__name__)

# OWASP's rule against CSV injection: a spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[-+]?\d+(\.\d*)?([eE][-+]?\d+)?")  # "-3", "+1.5e3": a number, never a formula


def spreadsheet_safe(value):
    """`value` as a spreadsheet shows it but never runs it: a text starting like a formula gets a leading single
    quote (OWASP), a plain number stays as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


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
            notes.append(
                f"{self.empty:,} of the {self.rows:,} rows have no text (or only invisible characters): their "
                "prediction is empty."
            )
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


def predictions_and_scores(
    classifier: Classifier, texts: list, threshold: float | None = None, batch_size: int = 32
) -> list[tuple[str, float]]:
    """(prediction, score) per text: `Classifier.decide`'s prediction, and the highest score (the value of a
    regression)."""
    scores = classifier.probabilities(texts, batch_size)
    return list(zip(classifier.decide(scores, threshold), scores.max(-1).values.tolist(), strict=True))


def read_chunks(path: Path, chunk_size: int, unreadable: list[int], encoding: str):
    """The rows of the file to predict, `chunk_size` at a time (reader.read_rows), once it is known to be there."""
    if file_format(path) is None:
        raise DataError(f"Cannot predict {path}: use one of {', '.join(FORMATS)}.")
    if not path.is_file():
        raise DataError(f"File to predict {str(path)!r} does not exist.")
    return read_rows(path, chunk_size, unreadable, encoding)


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
    return first, names, text_columns(names, columns, path.name, how)


def score_columns(classifier: Classifier, every_score: bool) -> list[str]:
    """`score`: the probability of the prediction (the value of a regression, alone); `score_<label>`: every label's
    score, for several labels per text always (the prediction is all those above the threshold)."""
    every = [f"score_{label}" for label in classifier.labels]
    if classifier.config.problem_type == ProblemType.MULTI_LABEL:
        return every
    return ["score", *every] if every_score and classifier.config.problem_type != ProblemType.REGRESSION else ["score"]


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


@dataclass
class PredictOptions:
    """How `predict_file` reads a file and what it writes.

    `columns`: the text column(s) (None: the first column with a usual name), `how` the option that names them (for
    the error); `delimiter` joins more than two; `encoding` the file's (see reader.py); `threshold` None is the
    model's own; `max_rows` None is every row; `every_score` adds every label's score to one label's;
    `raw_cells` writes cells that start like a spreadsheet formula as they are, not behind a single quote
    (`spreadsheet_safe`).
    """

    columns: list[str] | None = None
    delimiter: str = " "
    threshold: float | None = None
    batch_size: int = 32
    max_rows: int | None = None
    every_score: bool = False
    how: str = "--text_column_names"
    encoding: str = "utf-8"
    raw_cells: bool = False


def predict_file(
    classifier: Classifier, path: str | Path, output: str | Path, options: PredictOptions | None = None
) -> Written:
    """Write every row of `path` (the first `options.max_rows`, when given) with its prediction and score(s) to the
    CSV `output`, each cell as the file holds it.

    A row whose text columns are all empty, or a line of JSON Lines that cannot be read, gets an empty prediction:
    no row is dropped. A file that cannot be read leaves no `output` behind: a part of the predictions would pass for
    all of them."""
    options = options or PredictOptions()
    max_rows, batch_size = options.max_rows, options.batch_size
    path, written = Path(path), Written(max_length=classifier.max_length)
    chunks = read_chunks(path, batch_size * 32, written.unreadable, options.encoding)
    predicted = ["prediction", *score_columns(classifier, options.every_score)]
    first, header, written.text_columns = first_chunk(chunks, path, options.columns, options.how, predicted)
    try:
        # disable=None: no bar off a terminal, where it would be a heap of carriage returns in a log file.
        with (
            open(output, "w", newline="") as handle,
            tqdm(desc=f"predicting {path.name}", unit=" rows", disable=None) as progress,
        ):
            writer = csv.DictWriter(handle, fieldnames=[*header, *predicted], extrasaction="ignore")
            writer.writeheader()
            for chunk in itertools.chain([first], chunks):
                if max_rows is not None:
                    written.more, chunk = len(chunk) > max_rows - written.rows, chunk[: max_rows - written.rows]
                if not chunk:
                    break
                texts = [row_text(row, written.text_columns, options.delimiter) for row in chunk]
                filled = [index for index, text in enumerate(texts) if has_visible_text("".join(text))]
                values, truncated = predicted_rows(
                    classifier, [texts[i] for i in filled], options.threshold, batch_size, predicted
                )
                by_index = dict(zip(filled, values, strict=True))
                rows = ({**row, **by_index.get(index, {})} for index, row in enumerate(chunk))
                if not options.raw_cells:
                    rows = ({name: spreadsheet_safe(value) for name, value in row.items()} for row in rows)
                writer.writerows(rows)
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


def main(argv: list[str] | None = None, prog: str = "seqclf-hf predict") -> None:
    parser = CommandParser(prog=prog, description="Predict every row of a file with a saved model.")
    parser.add_argument("model", help="an output_dir (adapters too), a merged/ folder or a Hub id")
    parser.add_argument("file", help=f"a {', '.join(FORMATS)} file (.txt: one text per line)")
    parser.add_argument("--output", required=True, help="the CSV to write: the file's columns, prediction, score(s)")
    parser.add_argument("--batch_size", type=int, default=32, help="texts per forward pass")
    usual = "/".join(TEXT_COLUMN_NAMES)
    parser.add_argument(
        "--text_column_names", help=f"the text column, or two (a text pair) comma-separated (default: {usual})"
    )
    parser.add_argument("--text_column_delimiter", default=" ", help="joins more than two text columns")
    parser.add_argument("--file_encoding", default="utf-8", help="the file's text encoding, e.g. latin-1, cp1252")
    parser.add_argument(
        "--threshold", type=float, help="multi-label: a label is predicted above it (default: training's)"
    )
    parser.add_argument(
        "--raw_cells",
        action="store_true",
        help="write cells that start with = + - @ (a spreadsheet formula) as they are, not behind a single quote",
    )
    parser.add_argument(
        "--allow_pickle",
        action="store_true",
        help="load weights saved only as a pickle (pytorch_model.bin), which may run code: only from people you trust",
    )
    parser.add_argument(
        "--trust_remote_code", action="store_true", help="run the code of a Hub repo to load its model (read it first)"
    )
    args = parser.parse_args(argv)
    if args.batch_size <= 0 or (args.threshold is not None and not 0 < args.threshold < 1):
        raise ConfigError("--batch_size must be above 0 and --threshold between 0 and 1 (exclusive).")
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.INFO)
    if not sys.stderr.isatty():  # as training: no "Loading weights" bar in a log file
        transformers.utils.logging.disable_progress_bar()
    try:
        classifier = load_classifier(
            args.model, allow_pickle=args.allow_pickle, trust_remote_code=args.trust_remote_code
        )
    except (OSError, ValueError) as error:
        raise ConfigError(f"Could not load the model {args.model!r}: {error}") from error
    columns = [name.strip() for name in (args.text_column_names or "").split(",") if name.strip()]
    options = PredictOptions(
        columns,
        args.text_column_delimiter,
        args.threshold,
        args.batch_size,
        encoding=args.file_encoding,
        raw_cells=args.raw_cells,
    )
    written = predict_file(classifier, args.file, args.output, options)
    print(f"{written.rows} rows predicted; written to {args.output}")


if __name__ == "__main__":
    from .cli import run_command  # user errors are answered in one place, as for `seqclf-hf predict`

    run_command("predict")
