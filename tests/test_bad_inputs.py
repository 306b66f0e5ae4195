"""A table of bad inputs through the real recipe (recipes/train.py): each ends in a short `error:` naming the problem,
no traceback, and leaves the output folder it was pointed at byte-for-byte as it was.

All cases run in one child process (recipes/train.py executed as __main__ once per case), so the table costs one
start of Python and torch, not one per case.
"""

import csv
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from seqclf_hf.build import train_tokenizer
from seqclf_hf.run_lock import acquire, release

REPO = Path(__file__).resolve().parents[1]
TRAIN_SCRIPT = REPO / "recipes" / "train.py"
TINY_LSTM = ["--model", "lstm", "--embedding_dim", "8", "--hidden_sizes", "8"]
STEPS = ["--eval_strategy", "steps", "--save_strategy", "steps"]
CHUNK = ["--long_text", "chunk", "--max_seq_length", "8"]

# Runs every case as `python recipes/train.py ARGS` would, in this one process; prints one JSON line per case with
# what the case printed to stderr: its log (each case sets up logging afresh, onto its own stderr) and the exit message
# Python prints for sys.exit("...").
DRIVER = textwrap.dedent(
    """
    import contextlib, io, json, logging, runpy, sys, traceback
    for case in json.loads(sys.argv[1]):
        sys.argv = [sys.argv[0], *case]
        logging.root.handlers.clear()
        stderr, code, crash = io.StringIO(), 0, ""
        with contextlib.redirect_stderr(stderr):
            try:
                runpy.run_path({script!r}, run_name="__main__")
            except SystemExit as stop:
                code = stop.code
            except BaseException:
                crash = traceback.format_exc()
        message = code if isinstance(code, str) else ""
        printed = stderr.getvalue() + (message + "\\n" if message else "")
        exit_code = 1 if message else (code or 0)
        print(json.dumps({{"exit": exit_code, "message": message, "stderr": printed, "crash": crash}}), flush=True)
    """
)


def tree_digest(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file below `folder` (or of `folder` itself, when it is a file)."""
    if folder.is_file():
        return {folder.name: hashlib.sha256(folder.read_bytes()).hexdigest()}
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def write_csv(path: Path, rows: list[dict], columns=("text", "label")) -> str:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return str(path)


def earlier_run(folder: Path, checkpoint_state: bytes = b'{"global_step": 5}', weights: bytes | None = None) -> Path:
    """A folder standing for a user's earlier run: the table checks that nothing in it changes."""
    checkpoint = folder / "checkpoint-5"
    checkpoint.mkdir(parents=True)
    (folder / "model.safetensors").write_bytes(b"weights of the earlier run")
    (folder / "metrics.json").write_text('{"eval_accuracy": 0.9}')
    (checkpoint / "trainer_state.json").write_bytes(checkpoint_state)
    if weights is not None:
        (checkpoint / "model.safetensors").write_bytes(weights)
    return folder


def saved_teacher(folder: Path, make_model, texts: list[str], labels, problem_type=None) -> str:
    """A tiny untrained bow model with these labels and problem type, saved as a run would be: a --teacher."""
    model = make_model("bow")
    model.config.id2label, model.config.label2id = (
        dict(enumerate(labels)),
        {label: i for i, label in enumerate(labels)},
    )
    model.config.problem_type = problem_type
    model.save_pretrained(folder)
    train_tokenizer(texts, "word", vocab_size=100).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def table(tmp_path_factory, make_rows, make_dataset, make_model, trec_labels):
    """(case id, argv, output folder, expected words in the error) for every bad input; the lock of one output
    folder held while they run."""
    root = tmp_path_factory.mktemp("bad-inputs")
    data = root / "data"
    written = make_dataset(data, sizes={"train": 4, "validation": 2})
    train, rows = written["train"], make_rows(4)
    files = ["--train_file", train, "--validation_file", written["validation"]]
    header_only = write_csv(data / "header-only.csv", [])
    (data / "empty.csv").write_text("")
    unseen = write_csv(data / "unseen.csv", [{"text": "What is new ?", "label": "NEW"}, *rows[:6]])
    one_class = write_csv(data / "one-class.csv", [{"text": f"Who is {i} ?", "label": "HUM"} for i in range(8)])
    (data / "latin1.csv").write_bytes("text,label\ncafé au lait ?,ENTY\nWho is it ?,HUM\n".encode("latin-1"))
    (data / "typo.yaml").write_text("model_family: lstm\nhiden_sizes: [8]\n")
    (data / "list.yaml").write_text("- model_family\n- lstm\n")
    listed = data / "listed.jsonl"
    listed.write_text("".join(json.dumps({"text": row["text"], "label": [row["label"]]}) + "\n" for row in rows))
    numbers = write_csv(
        data / "numbers.csv", [{"text": row["text"], "label": f"{i / 4}"} for i, row in enumerate(rows)]
    )
    not_numbers = write_csv(
        data / "not-numbers.csv", [{"text": "How many ?", "label": "1.5"}, {"text": "?", "label": "many"}]
    )
    pairs = [{**row, "topic": row["fine"]} for row in rows]
    with_topic = write_csv(data / "with-topic.csv", pairs, columns=("text", "topic", "label"))
    pair_files = [
        "--train_file",
        with_topic,
        "--validation_file",
        written["validation"],
        "--text_column_names",
        "text,topic",
    ]
    texts = [row["text"] for row in rows]
    teacher = saved_teacher(data / "teacher", make_model, texts, trec_labels)
    other_labels = saved_teacher(data / "other-labels", make_model, texts, [f"L{i}" for i in range(6)])
    multi_label = saved_teacher(data / "multi-label", make_model, texts, trec_labels, "multi_label_classification")
    broken = data / "broken-teacher"
    broken.mkdir()
    (broken / "config.json").write_text("{not json")
    no_text = write_csv(data / "no-text.csv", [{"id": 1, "words": "Who is it ?"}], columns=("id", "words"))
    no_evaluation = ["--eval_strategy", "no", "--save_strategy", "no", "--load_best_model_at_end", "false"]
    cases = [
        ("missing-train-file", ["--train_file", str(data / "nope.csv")], "does not exist"),
        ("wrong-text-column", [*files, "--text_column_name", "question"], "--text_column_name"),
        ("wrong-label-column", [*files, "--label_column_name", "category"], "--label_column_name"),
        ("header-only-file", ["--train_file", header_only], "no examples"),
        ("empty-file", ["--train_file", str(data / "empty.csv")], "empty"),
        ("label-only-in-validation", ["--train_file", train, "--validation_file", unseen], "'NEW'"),
        ("one-class", ["--train_file", one_class], "only one label"),
        ("not-utf8", ["--train_file", str(data / "latin1.csv")], "--file_encoding"),
        ("yaml-typo", ["--config", str(data / "typo.yaml"), *files], "hiden_sizes"),
        ("yaml-not-a-mapping", ["--config", str(data / "list.yaml"), *files], "mapping"),
        ("unknown-flag", [*files, "--hiden_sizes", "8"], "--hidden_sizes"),
        (
            "misspelt-flag-with-a-value",
            [*files, "--lerning_rate", "1e-3"],
            "unknown option --lerning_rate (did you mean --learning_rate?). --help",
        ),
        (
            "abbreviated-flag",
            [*files, "--num_train_epoch", "1"],
            "unknown option --num_train_epoch (did you mean --num_train_epochs?)",
        ),
        ("wrong-type", [*files, "--num_train_epochs", "many"], "--num_train_epochs"),
        ("no-epochs", [*files, "--num_train_epochs", "-1"], "--num_train_epochs"),
        ("zero-max-steps", [*files, "--max_steps", "0"], "--max_steps"),
        ("zero-learning-rate", [*files, "--learning_rate", "0"], "--learning_rate"),
        ("zero-batch-size", [*files, "--per_device_train_batch_size", "0"], "--per_device_train_batch_size"),
        ("negative-eval-steps", [*files, *STEPS, "--eval_steps", "-2"], "eval_steps"),
        ("negative-save-steps", [*files, *STEPS, "--save_steps", "-1"], "save_steps"),
        ("negative-size", [*files, "--embedding_dim", "-4"], "embedding_dim"),
        (
            "heads-not-dividing",
            ["--model", "transformer", *files, "--hidden_size", "10", "--num_heads", "4"],
            "num_heads",
        ),
        (
            "kernel-too-wide",
            ["--model", "cnn", "--num_filters", "4", *files, "--max_seq_length", "4"],
            "--max_seq_length",
        ),
        ("option-of-another-family", [*files, "--kernel_sizes", "3"], "kernel_sizes"),
        ("chunk-stride-not-below-window", [*files, *CHUNK, "--chunk_stride", "8"], "--chunk_stride"),
        ("chunk-stride-leaves-no-new-tokens", [*files, *CHUNK, "--chunk_stride", "7"], "--chunk_stride"),
        ("negative-chunk-stride", [*files, *CHUNK, "--chunk_stride", "-1"], "--chunk_stride"),
        ("negative-min-train-steps", [*files, "--min_train_steps", "-1"], "--min_train_steps must be 0"),
        ("zero-max-chunks", [*files, *CHUNK, "--max_chunks", "0"], "--max_chunks"),
        ("max-seq-length-not-a-number", [*files, "--max_seq_length", "long"], "--max_seq_length"),
        ("chunk-option-without-chunk", [*files, "--max_chunks", "2"], "--long_text chunk"),
        ("chunk-text-pair", [*pair_files, *CHUNK], "text pair"),
        (
            "chunk-kernel-too-wide",
            ["--model", "cnn", "--num_filters", "4", "--kernel_sizes", "3", "9", *files, *CHUNK],
            "--max_seq_length",
        ),
        ("fp16-without-gpu", [*files, "--fp16", "true"], "--fp16"),
        ("prefix-tuning-lstm", [*files, "--peft", "prefix"], "--peft prefix"),
        ("merge-without-lora", [*files, "--merge_lora", "true"], "--merge_lora"),
        (
            "list-label-single-label",
            ["--train_file", str(listed), "--problem_type", "single_label_classification"],
            "--problem_type multi_label_classification",
        ),
        ("not-a-number-in-regression", ["--train_file", numbers, "--validation_file", not_numbers], "Row 2"),
        ("pair-column-missing-in-a-split", pair_files, "--text_column_names"),
        ("class-weights-of-wrong-length", [*files, "--class_weights", "1,2"], "--class_weights"),
        ("threshold-outside-0-1", [*files, "--multi_label_threshold", "1.5"], "--multi_label_threshold"),
        (
            "early-stopping-without-evaluation",
            [*files, *no_evaluation, "--early_stopping_patience", "2"],
            "--eval_strategy",
        ),
        (
            "metric-of-another-problem-type",
            ["--train_file", numbers, "--validation_file", numbers, "--metric_for_best_model", "macro_f1"],
            "--metric_for_best_model",
        ),
        ("teacher-of-other-labels", [*files, "--teacher", other_labels], "same labels"),
        ("teacher-of-another-problem-type", [*files, "--teacher", multi_label], "same task"),
        ("missing-teacher", [*files, "--teacher", str(data / "no-teacher")], "no such folder"),
        ("broken-teacher", [*files, "--teacher", str(broken)], "cannot load it"),
        ("alpha-outside-0-1", [*files, "--teacher", teacher, "--distill_alpha", "1.5"], "--distill_alpha"),
        ("zero-temperature", [*files, "--teacher", teacher, "--distill_temperature", "0"], "--distill_temperature"),
        ("negative-augment", [*files, "--teacher", teacher, "--augment", "-1"], "--augment"),
        ("augment-without-teacher", [*files, "--augment", "2"], "--teacher"),
        ("transfer-file-without-text", [*files, "--teacher", teacher, "--transfer_file", no_text], "No text column"),
    ]
    table = []
    for case_id, argv, expected in cases:
        output_dir = earlier_run(root / case_id)
        model = [] if "--model" in argv or "--config" in argv else TINY_LSTM
        argv = [
            *model,
            "--num_train_epochs",
            "1",
            *argv,
            "--output_dir",
            str(output_dir),
            "--overwrite_output_dir",
            "true",
        ]
        table.append((case_id, argv, output_dir, expected))
    used = earlier_run(root / "used-output-dir")
    table.append(("used-output-dir", [*TINY_LSTM, *files, "--output_dir", str(used)], used, "--overwrite_output_dir"))
    blocker = root / "a-file"
    blocker.write_text("not a folder")
    table.append(
        ("unwritable-output-dir", [*TINY_LSTM, *files, "--output_dir", str(blocker / "out")], blocker, "Cannot write")
    )
    for case_id, state, weights, expected in [
        ("corrupt-checkpoint", b"{not json", None, "trainer_state.json is unreadable"),
        ("partial-checkpoint", b'{"global_step": 5}', b"\x08\x00\x00\x00\x00\x00\x00\x00{}", "is damaged"),
        ("missing-checkpoint", None, None, "is not a folder"),
    ]:
        output_dir = root / case_id
        if state is None:
            checkpoint = output_dir / "checkpoint-404"
            earlier_run(output_dir)
        else:
            checkpoint = earlier_run(output_dir, state, weights) / "checkpoint-5"
        argv = [*TINY_LSTM, *files, "--output_dir", str(output_dir), "--resume_from_checkpoint", str(checkpoint)]
        table.append((case_id, argv, output_dir, expected))
    other_family = earlier_run(root / "checkpoint-of-another-family") / "checkpoint-5"
    (other_family / "config.json").write_text(json.dumps({"model_type": "seqclf_cnn", "id2label": {"0": "HUM"}}))
    resume = ["--resume_from_checkpoint", str(other_family)]
    argv = [*TINY_LSTM, *files, "--output_dir", str(other_family.parent), *resume]
    table.append(("checkpoint-of-another-family", argv, other_family.parent, "made by a seqclf_cnn model"))
    # Another run is writing this folder: this process holds its lock while the table runs in a child.
    locked = root / "locked-output-dir" / "out"
    argv = [*TINY_LSTM, *files, "--output_dir", str(locked)]
    table.append(("locked-output-dir", argv, locked.parent, "Another run"))
    descriptor = acquire(locked)
    yield table
    release(locked, descriptor)


@pytest.fixture(scope="module")
def outcomes(table, tmp_path_factory):
    """Each case's (exit code, message, traceback, digest before, digest after), from one child process."""
    before = {case_id: (tree_digest(folder), beside(folder)) for case_id, _, folder, _ in table}
    home = tmp_path_factory.mktemp("hf-home")
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_HOME": str(home),
        "SEQCLF_HF_CACHE": str(home),
        "TQDM_DISABLE": "1",
    }
    command = [
        sys.executable,
        "-c",
        DRIVER.format(script=str(TRAIN_SCRIPT)),
        json.dumps([argv for _, argv, *_ in table]),
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, cwd=home)
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"exit"')]
    assert len(lines) == len(table), result.stderr[-3000:]
    print(f"\n{len(table)} bad-input cases ran through {TRAIN_SCRIPT.name}")
    return {
        case_id: {**line, "before": before[case_id], "after": (tree_digest(folder), beside(folder))}
        for (case_id, _, folder, _), line in zip(table, lines, strict=True)
    }


def beside(folder: Path) -> list[str]:
    """What the parent folder holds under the folder's name: a run that wrote beside it leaves <name>.incomplete."""
    return sorted(path.name for path in folder.parent.iterdir() if path.name.startswith(folder.name))


CASE_IDS = [
    "missing-train-file", "wrong-text-column", "wrong-label-column", "header-only-file", "empty-file",
    "label-only-in-validation", "one-class", "not-utf8", "yaml-typo", "yaml-not-a-mapping", "unknown-flag",
    "misspelt-flag-with-a-value", "abbreviated-flag",
    "wrong-type", "no-epochs", "zero-max-steps", "zero-learning-rate", "zero-batch-size", "negative-eval-steps",
    "negative-save-steps", "negative-size", "heads-not-dividing", "kernel-too-wide", "option-of-another-family",
    "chunk-stride-not-below-window", "chunk-stride-leaves-no-new-tokens", "negative-chunk-stride",
    "negative-min-train-steps", "zero-max-chunks", "max-seq-length-not-a-number", "chunk-option-without-chunk",
    "chunk-text-pair", "chunk-kernel-too-wide",
    "fp16-without-gpu", "prefix-tuning-lstm", "merge-without-lora", "list-label-single-label",
    "not-a-number-in-regression", "pair-column-missing-in-a-split", "class-weights-of-wrong-length",
    "threshold-outside-0-1", "early-stopping-without-evaluation", "metric-of-another-problem-type",
    "teacher-of-other-labels", "teacher-of-another-problem-type", "missing-teacher", "broken-teacher",
    "alpha-outside-0-1", "zero-temperature", "negative-augment", "augment-without-teacher",
    "transfer-file-without-text", "used-output-dir",
    "unwritable-output-dir", "corrupt-checkpoint", "partial-checkpoint", "missing-checkpoint",
    "checkpoint-of-another-family", "locked-output-dir",
]  # fmt: skip


def test_the_table_covers_every_case(table):
    assert [case_id for case_id, *_ in table] == CASE_IDS


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_bad_input_is_a_short_error_and_changes_nothing(case_id, table, outcomes):
    outcome = outcomes[case_id]
    expected = next(words for other, _, _, words in table if other == case_id)
    assert not outcome["crash"], outcome["crash"]
    assert outcome["exit"] != 0
    # Exactly what the user saw on stderr: one `error:` line, on one line, with the case's words, and no traceback.
    message, printed = outcome["message"], outcome["stderr"]
    assert message.startswith("error:") and "\n" not in message and expected in message, printed
    assert [line for line in printed.splitlines() if line.startswith("error:")] == [message], printed
    assert "Traceback" not in printed
    assert outcome["after"] == outcome["before"]  # the folder byte-for-byte, and nothing written beside it
