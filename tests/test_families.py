"""Every registered family is known everywhere a user meets it: the options, the model card, the Space's loader,
the docs' and the README's family tables and the benchmark, all from the family's own configuration class."""

import dataclasses
import re
from pathlib import Path

import pytest
from benchmark_scripts import load_benchmark

from seqclf_hf.arguments import ModelArguments
from seqclf_hf.build import train_tokenizer
from seqclf_hf.hub import describe_model, hyperparameters
from seqclf_hf.inference import load_classifier
from seqclf_hf.models import CUSTOM_FAMILIES, FAMILIES

REPO = Path(__file__).resolve().parents[1]
benchmark = load_benchmark("benchmark")


# The words a user reads about each tiny test model (conftest's sizes): in the model card and in the Space.
DESCRIPTIONS = {
    "bow": "Averaged word vectors (a plain average) and a linear classifier: the course notebooks' baseline.",
    "manual-rnn": "The hand-written RNN of the course notebooks: explicit matrices U, W, V, "
    "h_t = tanh(x_t U + h_{t-1} W + b), logits = h_T V + c, a loop over time.",
    "rnn": "A recurrent classifier (bidirectional RNN, layers of sizes 16) with last pooling over the states of real "
    "tokens.",
    "gru": "A recurrent classifier (bidirectional GRU, layers of sizes 16) with last pooling over the states of real "
    "tokens.",
    "lstm": "A recurrent classifier (bidirectional LSTM, layers of sizes 16) with last pooling over the states of "
    "real tokens.",
    "cnn": "TextCNN (Kim, 2014): parallel convolutions of widths 2, 3, 5, max-pooled over real tokens.",
    "transformer": "A small Transformer encoder trained from scratch: 2 pre-norm layers, 2 heads, hidden size 16, "
    "mean-pooled over real tokens.",
}


def family_rows(page: Path) -> dict[str, str]:
    """`--model` name -> its row of the family table in `page` (the table whose header starts with `--model`)."""
    lines = page.read_text().splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("| `--model` |"))
    rows = {}
    for row in lines[start + 2 :]:
        if not row.startswith("|"):
            break
        for name in re.findall(r"`([\w-]+)`", row.split("|")[1]):
            rows[name] = row
    return rows


@pytest.mark.parametrize("family", list(CUSTOM_FAMILIES))
def test_every_architecture_field_is_a_recipe_option(family):
    config_class = CUSTOM_FAMILIES[family][0]
    options = {field.name for field in dataclasses.fields(ModelArguments)}
    assert config_class.architecture_fields and set(config_class.architecture_fields) <= options
    for name in config_class.architecture_fields:
        help_text = next(f for f in dataclasses.fields(ModelArguments) if f.name == name).metadata["help"]
        assert family in help_text, f"--{name}'s help does not name {family}"


def test_every_family_has_its_pinned_description():
    assert set(DESCRIPTIONS) == set(CUSTOM_FAMILIES)


@pytest.mark.parametrize("family", list(CUSTOM_FAMILIES))
def test_model_card_describes_the_family_with_its_own_words(family, make_model):
    config = make_model(family).config
    assert describe_model(config) == DESCRIPTIONS[family]
    assert {name for name, _ in hyperparameters(config)} >= set(config.architecture_fields)


@pytest.mark.parametrize("family", list(CUSTOM_FAMILIES))
def test_the_loader_the_space_uses_describes_the_family(family, make_model, tmp_path):
    tokenizer = train_tokenizer(["what is it ?", "who is it ?"], "word", vocab_size=50)
    model = make_model(family, vocab_size=len(tokenizer))
    model.save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    assert load_classifier(tmp_path).description.startswith(DESCRIPTIONS[family])


def test_docs_family_table_lists_every_family_and_its_options():
    rows = family_rows(REPO / "docs" / "families.md")
    assert set(FAMILIES) <= set(rows), f"docs/families.md has no row for {set(FAMILIES) - set(rows)}"
    for family, (config_class, _, _) in CUSTOM_FAMILIES.items():
        for name in config_class.architecture_fields:
            assert f"`{name}`" in rows[family], f"docs/families.md's {family} row does not list {name}"


def test_readme_family_table_lists_every_family():
    rows = family_rows(REPO / "README.md")
    assert set(FAMILIES) <= set(rows), f"README.md's family table has no row for {set(FAMILIES) - set(rows)}"


def test_benchmark_has_a_row_for_every_family():
    assert set(FAMILIES) <= set(benchmark.TABLE_ORDER)
