"""Property-based tests (hypothesis) of the file readers through `predict_file`: any texts, in every format read,
give either a one-line error or exactly one output row per input row, in order, each text unchanged.

CI runs a bounded number of examples per format; `pytest -m slow` runs many more."""

import csv
import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqclf_hf.errors import DataError
from seqclf_hf.inference import load_classifier
from seqclf_hf.predict import PredictOptions, predict_file

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
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    elif path.suffix == ".json":
        path.write_text(json.dumps(rows), encoding="utf-8")
    elif path.suffix == ".parquet":
        pd.DataFrame(rows).to_parquet(path)
    else:
        path.write_text("".join(value + "\n" for value in values), encoding="utf-8")


def check_predict(classifier, suffix: str, values: list[str]) -> None:
    if suffix == ".txt":
        values = ["".join(char for char in value if char not in LINE_BREAKS) for value in values]
    with tempfile.TemporaryDirectory() as folder:
        path, output = Path(folder) / f"texts{suffix}", Path(folder) / "predictions.csv"
        write(path, values)
        try:
            written = predict_file(classifier, path, output, PredictOptions(raw_cells=True))
        except DataError as error:
            assert "\n" not in str(error) and not output.exists()
            return
        with output.open(newline="", encoding="utf-8") as handle:
            results = list(csv.DictReader(handle))
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
