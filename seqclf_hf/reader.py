"""Every user file the toolkit reads, for training (`--train_file` ...) and for `seqclf-hf predict` alike: one table of
formats, one encoding policy and one way of finding the text columns.

Formats: CSV, TSV, JSON, JSON Lines, parquet, TXT (one text per line, a column `text`) and TREC `.label` files
(`COARSE:fine question` per line: columns `text` and `label`). Encoding: a text file must be valid in the encoding
given (`--file_encoding`, default UTF-8, a byte-order mark allowed); one that is not is a one-line error naming the
line and the option, never a silent replacement (parquet is binary, its strings UTF-8 by definition; `.label` files
keep their few bad bytes as U+FFFD, counted in a warning, since TREC's own files have some). Text columns: the ones
named, in any case, or the first column with a usual name (TEXT_COLUMN_NAMES).

Training reads a whole file with typed columns (`read_dataset`: a float label column makes a regression); predict
streams rows with every cell as written (`read_rows`: "007" stays "007"), so it writes them back unchanged.
"""

import codecs
import csv
import io
import itertools
import json
import logging
from pathlib import Path

import datasets
from datasets import Dataset

from .errors import DataError, first_line

logger = logging.getLogger(__name__)

# suffix -> the `datasets` builder that reads it ("label": read here)
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".json": "json",
    ".jsonl": "json",
    ".parquet": "parquet",
    ".txt": "text",
    ".label": "label",
}
# Without named text columns, the first of these a file has (in any case) is the text.
TEXT_COLUMN_NAMES = ("text", "question", "questions", "sentence", "query", "input", "content")
HEAD_BYTES = 20_000  # what a file is checked to be text from, and the delimiter of a CSV guessed from


def file_format(path: Path) -> str | None:
    return FORMATS.get(path.suffix.lower())


def codec(encoding: str) -> str:
    """The codec Python reads `encoding` with: UTF-8 as utf-8-sig (a byte-order mark is no error); an unknown name is
    an error naming --file_encoding."""
    try:
        name = codecs.lookup(encoding).name
    except LookupError as error:
        raise DataError(
            f"Unknown --file_encoding {encoding!r}; give a codec name, e.g. utf-8, latin-1, cp1252."
        ) from error
    return "utf-8-sig" if name == "utf-8" else encoding


def first_undecodable_line(path: Path, encoding: str) -> tuple[int, bytes] | None:
    """(number, bytes) of the first line of `path` that is not valid `encoding`, or None when every line is."""
    decoder = codecs.getincrementaldecoder(encoding)()  # incremental: a character may span a line break (UTF-16)
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                decoder.decode(line)
            except UnicodeDecodeError:
                return number, line
    return None


def check_text_file(path: Path, encoding: str) -> None:
    """A text file must look like text (no NUL bytes) and be valid `encoding` in every line: else a one-line error,
    not the `datasets` builder's long traceback or a silent U+FFFD."""
    with path.open("rb") as handle:
        if b"\x00" in handle.read(HEAD_BYTES):
            raise DataError(
                f"{path.name} does not look like a text file (it holds NUL bytes): give a UTF-8 text file."
            )
    if path.suffix.lower() == ".json" and codec(encoding) != "utf-8-sig":
        # The `datasets` builder parses a JSON array as UTF-8 before it applies any other encoding: the texts came
        # back altered. JSON's own encoding is UTF-8 (RFC 8259).
        raise DataError(
            f"{path.name}: a .json file is read as UTF-8, not {encoding}. Save it as UTF-8, or as .jsonl or .csv "
            "(those read --file_encoding)."
        )
    bad = first_undecodable_line(path, codec(encoding))
    if bad:
        number, line = bad
        raise DataError(
            f"{path}, line {number}, is not valid {encoding}: {line.strip()[:80]!r}. Give the file's encoding with "
            "--file_encoding (e.g. --file_encoding latin-1), or save it as UTF-8."
        )


def text_head(path: Path, encoding: str) -> str:
    """The start of a checked text file, decoded (a character cut at the end left out)."""
    with path.open("rb") as handle:
        return codecs.getincrementaldecoder(codec(encoding))().decode(handle.read(HEAD_BYTES))


def text_columns(names: list[str], wanted: list[str] | None, source: str, how: str) -> list[str]:
    """The columns of `names` that hold the text: `wanted` (in any case), or the first with a usual name
    (TEXT_COLUMN_NAMES). `how` says how a user names the text column, for the error."""
    lowered = {name.strip().lower(): name for name in reversed(names)}  # reversed: the first of equal names wins
    if not wanted:
        found = next((lowered[name] for name in TEXT_COLUMN_NAMES if name in lowered), None)
        if found is None:
            raise DataError(
                f"No text column found: the columns of {source} are {names}. Name the column one of "
                f"{', '.join(TEXT_COLUMN_NAMES)}, or name it with {how}."
            )
        return [found]
    missing = [name for name in wanted if name.strip().lower() not in lowered]
    if missing:
        raise DataError(
            f"{source} has no column {missing[0]!r}; its columns are {names}. Name the text column(s) with {how}."
        )
    return [name if name in names else lowered[name.strip().lower()] for name in wanted]


def read_trec_label_file(path: str | Path, granularity: str = "coarse", encoding: str = "utf-8") -> Dataset:
    """Read a TREC `.label` file: `COARSE:fine question words ...` per line.

    The label is everything before the first space, so the fine label ("manner") never leaks into the text.
    Bytes that are not valid in `encoding` are replaced (and counted) rather than dropping the line: TREC's own
    files have a few.
    """
    raw_lines = Path(path).read_bytes().splitlines()
    texts, labels, undecodable = [], [], 0
    for line_number, raw in enumerate(raw_lines, start=1):
        try:
            line = raw.decode(encoding)
        except UnicodeDecodeError:
            line, undecodable = raw.decode(encoding, errors="replace"), undecodable + 1
        if not line.strip():
            continue
        label, _, question = line.strip().partition(" ")
        if ":" not in label or not question.strip():
            raise DataError(
                f"{path}, line {line_number}: expected 'COARSE:fine question text', got {line.strip()[:80]!r}. "
                "Fix the line, or use a .csv/.json file for data in another format."
            )
        labels.append(label.split(":")[0] if granularity == "coarse" else label)
        texts.append(question.strip())
    if undecodable:
        logger.warning(
            "%s: %d line(s) were not valid %s; bad bytes were replaced with U+FFFD (the file's encoding: "
            "--file_encoding).",
            *(path, undecodable, encoding),
        )
    return Dataset.from_dict({"text": texts, "label": labels})


def read_dataset(path: Path, granularity: str = "coarse", encoding: str = "utf-8") -> Dataset:
    """A whole file as a `Dataset`, its columns typed by the `datasets` builder (training: labels may be numbers)."""
    codec(encoding)  # an unknown name fails whatever the format
    builder = file_format(path)
    if builder == "label":
        return read_trec_label_file(path, granularity, encoding)
    if builder == "parquet":
        return load_file(builder, path)
    check_text_file(path, encoding)
    options = {"sep": "\t"} if path.suffix.lower() == ".tsv" else {}
    return load_file(builder, path, encoding=codec(encoding), **options)


def load_file(builder: str, file_path: Path, **options) -> Dataset:
    try:
        return datasets.load_dataset(builder, data_files=str(file_path), split="train", **options)
    except ValueError as error:  # e.g. a CSV with a header and no rows: "corresponds to no data"
        raise DataError(
            f"{str(file_path)!r} holds no examples ({error}). Give a file with one example per row."
        ) from error


def csv_options(path: Path, encoding: str) -> dict:
    """How `datasets` reads a CSV as written: its delimiter guessed (`,;\\t|`), every cell a string ("007" stays so,
    "NA" is a text, an empty cell "")."""
    text = text_head(path, encoding)
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
    return {"sep": delimiter, "features": features, "keep_default_na": False, "encoding": codec(encoding)}


def jsonl_rows(path: Path, unreadable: list[int], encoding: str):
    """The rows of a JSON Lines file, read here rather than by `datasets`, which cannot say which line it failed on: a
    line that is not a JSON object is an empty row (its number added to `unreadable`), so no row is lost."""
    with path.open(encoding=codec(encoding)) as handle:
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


def read_rows(path: Path, chunk_size: int, unreadable: list[int], encoding: str = "utf-8"):
    """The file's rows (dicts of its columns, cells as written), `chunk_size` at a time, read only as they are
    needed. A JSON Lines line that is not an object is an empty row, its number added to `unreadable`."""
    codec(encoding)  # an unknown name fails whatever the format
    builder = file_format(path)
    if builder not in ("parquet", "label"):
        check_text_file(path, encoding)
    if builder == "label":
        rows = iter(read_trec_label_file(path, encoding=encoding))
    elif path.suffix.lower() == ".jsonl":
        rows = jsonl_rows(path, unreadable, encoding)
    else:
        options = csv_options(path, encoding) if builder == "csv" else {}
        if builder == "text":
            options = {"encoding": codec(encoding)}
        rows = iter(datasets.load_dataset(builder, data_files=str(path), split="train", streaming=True, **options))
    try:
        while chunk := list(itertools.islice(rows, chunk_size)):
            yield chunk
    except ValueError as error:  # pandas' and pyarrow's parse errors, cut to their first line
        raise DataError(
            f"Could not read {path.name}: {first_line(error)}. Fix that row, or save the file again."
        ) from error
