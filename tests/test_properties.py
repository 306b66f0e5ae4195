"""Property-based tests (hypothesis) of the file readers through `predict_file`: any texts, in every format read,
give either a one-line error or exactly one output row per input row, in order, each text unchanged. Also TREC
`.label` files (`COARSE:fine text` lines), and files of two encodings (UTF-8 lines and a Latin-1 one): refused in one
line naming --file_encoding, or with `--file_encoding latin-1` read row for row (a `.label` file keeps the line,
its bad bytes as U+FFFD, and warns; a `.json` file is UTF-8 only).

CI runs a bounded number of examples per format; `pytest -m slow` runs many more."""

import csv
import json
import logging
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqclf_hf.errors import DataError
from seqclf_hf.inference import load_classifier
from seqclf_hf.predict import PredictOptions, predict_file
from seqclf_hf.reader import logger as reader_logger

SPECIAL = ['"', '""', ",", ";", "\t", "|", "\n", "\r\n", "\r", "\ufeff", "\x00", "'", "\\", "=1+1", "NA", " ", ""]
LONG = "word " * 20_000
# What splits a line: a .txt file holds one text per line, so its texts hold none of these.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
FORMATS = (".csv", ".tsv", ".json", ".jsonl", ".parquet", ".txt")
CI = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

texts = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=("Cs",)), max_size=40),
        st.lists(st.sampled_from(SPECIAL), max_size=6).map("".join),
        st.just(LONG),
    ),
    min_size=1,
    max_size=12,
)
# A file of two encodings: UTF-8 texts, then one Latin-1 text whose last character is a byte that UTF-8 has only
# before continuation bytes (an ASCII delimiter, quote or line break follows it in every format).
utf_8_texts = st.lists(
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=30), max_size=6
)
latin_1_text = st.tuples(
    st.text(st.characters(codec="latin-1", categories=("L", "N", "Zs")), max_size=10), st.sampled_from("ÀÉÎÕÜßàçéñõü")
).map("".join)
TEXT_FORMATS = (".csv", ".tsv", ".json", ".jsonl", ".txt")
# TREC .label lines: COARSE:fine, a space, the text (any characters but the line breaks of bytes.splitlines)
label_lines = st.lists(
    st.tuples(
        st.sampled_from(["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]),
        st.from_regex(r"[a-z]{1,8}", fullmatch=True),
        st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\n\r"), max_size=40),
    ),
    min_size=1,
    max_size=10,
)


@pytest.fixture(scope="module")
def classifier(make_model, word_tokenizer_for_properties, tmp_path_factory):
    folder = tmp_path_factory.mktemp("property-model")
    make_model("bow", vocab_size=len(word_tokenizer_for_properties)).save_pretrained(folder)
    word_tokenizer_for_properties.save_pretrained(folder)
    return load_classifier(folder)


@pytest.fixture(scope="module")
def word_tokenizer_for_properties(make_rows):
    from seqclf_hf.build import train_tokenizer

    tokenizer = train_tokenizer([row["text"] for row in make_rows(4)], "word", vocab_size=100)
    tokenizer.model_max_length = 16
    return tokenizer


def write(path: Path, values: list[str]) -> None:
    """`values` as the column `text` (and an `id`) of a file in `path`'s format, as a user's tool would write it."""
    rows = [{"id": str(index), "text": value} for index, value in enumerate(values)]
    if path.suffix in (".csv", ".tsv"):
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(
                handle, fieldnames=["id", "text"], delimiter="\t" if path.suffix == ".tsv" else ","
            )
            writer.writeheader()
            writer.writerows(rows)
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    elif path.suffix == ".parquet":
        pd.DataFrame(rows).to_parquet(path)
    else:
        path.write_text("".join(value + "\n" for value in values), encoding="utf-8")


def write_two_encodings(path: Path, values: list[str], latin: str) -> None:
    """`values` in UTF-8 and then `latin` in Latin-1, as the rows of a file in `path`'s format."""
    write(path, [*values, latin])
    head, found, tail = path.read_bytes().rpartition(latin.encode("utf-8"))
    assert found
    path.write_bytes(head + latin.encode("latin-1") + tail)


def write_label_file(path: Path, lines: list[tuple[str, str, str]], latin_line: str | None = None) -> None:
    """TREC lines `COARSE:fine text` in UTF-8, then `latin_line` (its text) in Latin-1."""
    data = "".join(f"{coarse}:{fine} {text}\n" for coarse, fine, text in lines).encode("utf-8")
    path.write_bytes(data + (f"LOC:city {latin_line}\n".encode("latin-1") if latin_line else b""))


def predicted_rows(classifier, path: Path, encoding: str = "utf-8") -> tuple | None:
    """`predict_file` on `path`: (Written, the rows of its CSV), or None after a one-line error and no output."""
    output = path.with_name("predictions.csv")
    try:
        written = predict_file(classifier, path, output, PredictOptions(raw_cells=True, encoding=encoding))
    except DataError as error:
        assert "\n" not in str(error) and not output.exists()
        return None
    with output.open(newline="", encoding="utf-8") as handle:
        return written, list(csv.DictReader(handle))


def as_latin_1(value: str) -> str:
    """What a UTF-8 text reads as in Latin-1."""
    return value.encode("utf-8").decode("latin-1")


def check_predict(classifier, suffix: str, values: list[str]) -> None:
    if suffix == ".txt":
        values = ["".join(char for char in value if char not in LINE_BREAKS) for value in values]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"texts{suffix}"
        write(path, values)
        if (predicted := predicted_rows(classifier, path)) is None:
            return
    written, results = predicted
    assert written.rows == len(results) == len(values)
    assert [row["text"] for row in results] == values
    assert all(row["prediction"] for row, value in zip(results, values, strict=True) if value.isalnum())
    assert not any(row["prediction"] for row, value in zip(results, values, strict=True) if not value.strip())


@pytest.mark.parametrize("suffix", FORMATS)
@CI
@given(values=texts)
def test_any_texts_in_any_format_are_predicted_row_for_row_or_refused_in_one_line(classifier, suffix, values):
    check_predict(classifier, suffix, values)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", FORMATS)
@SLOW
@given(values=texts)
def test_many_more_texts_in_any_format(classifier, suffix, values):
    check_predict(classifier, suffix, values)


def check_two_encodings(classifier, suffix: str, values: list[str], latin: str) -> None:
    if suffix == ".txt":
        values = ["".join(char for char in value if char not in LINE_BREAKS) for value in values]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"texts{suffix}"
        write_two_encodings(path, values, latin)
        with pytest.raises(DataError) as refusal:
            predict_file(classifier, path, path.with_name("predictions.csv"), PredictOptions())
        as_latin = predicted_rows(classifier, path, encoding="latin-1")
    assert "\n" not in str(refusal.value) and "is not valid utf-8" in str(refusal.value)
    assert "--file_encoding latin-1" in str(refusal.value)
    if suffix == ".json":  # JSON is UTF-8 (RFC 8259): another encoding is refused in one line (predicted_rows)
        assert as_latin is None
        return
    written, results = as_latin
    expected = [*map(as_latin_1, values), latin]
    assert written.rows == len(results) == len(expected)
    assert [row["text"] for row in results] == expected


@pytest.mark.parametrize("suffix", TEXT_FORMATS)
@CI
@given(values=utf_8_texts, latin=latin_1_text)
def test_a_file_of_two_encodings_is_refused_naming_the_option_or_read_as_latin_1(classifier, suffix, values, latin):
    check_two_encodings(classifier, suffix, values, latin)


@pytest.mark.slow
@pytest.mark.parametrize("suffix", TEXT_FORMATS)
@SLOW
@given(values=utf_8_texts, latin=latin_1_text)
def test_many_more_files_of_two_encodings(classifier, suffix, values, latin):
    check_two_encodings(classifier, suffix, values, latin)


def check_label_file(classifier, lines: list[tuple[str, str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "questions.label"
        write_label_file(path, lines)
        predicted = predicted_rows(classifier, path)
    # A line is refused when nothing follows its label; else its text is the rest of the line, stripped.
    assert (predicted is None) == any(not text.strip() for _, _, text in lines)
    if predicted:
        written, results = predicted
        assert written.rows == len(results) == len(lines)
        assert [row["text"] for row in results] == [text.strip() for _, _, text in lines]
        assert [row["label"] for row in results] == [coarse for coarse, _, _ in lines]


@CI
@given(lines=label_lines)
def test_any_label_file_is_predicted_line_for_line_or_refused_in_one_line(classifier, lines):
    check_label_file(classifier, lines)


@pytest.mark.slow
@SLOW
@given(lines=label_lines)
def test_many_more_label_files(classifier, lines):
    check_label_file(classifier, lines)


@CI
@given(lines=label_lines, latin=latin_1_text)
def test_a_label_file_of_two_encodings_keeps_its_lines_and_warns_or_reads_as_latin_1(classifier, lines, latin):
    lines = [(coarse, fine, text.strip() or "what") for coarse, fine, text in lines]  # every line has a text
    warnings = []
    handler = logging.Handler()
    handler.emit = lambda record: warnings.append(record.getMessage())
    reader_logger.addHandler(handler)
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "questions.label"
            write_label_file(path, lines, latin.strip() + "?")
            _, as_utf_8 = predicted_rows(classifier, path)
            _, as_latin = predicted_rows(classifier, path, encoding="latin-1")
    finally:
        reader_logger.removeHandler(handler)
    texts = [text for _, _, text in lines]
    assert [row["text"] for row in as_utf_8[:-1]] == texts and "\ufffd" in as_utf_8[-1]["text"]
    assert len(warnings) == 1 and "1 line(s) were not valid utf-8" in warnings[0] and "--file_encoding" in warnings[0]
    # Read as Latin-1, a UTF-8 text may end in what Latin-1 calls white space (U+00A0, U+0085): stripped, as any.
    assert [row["text"] for row in as_latin] == [*(as_latin_1(text).strip() for text in texts), latin.strip() + "?"]
