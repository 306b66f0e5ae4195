"""Texts longer than the window: truncated vs chunked (`--long_text chunk`), for cnn-vectors, gru-vectors and MiniLM.

    python benchmarks/long_texts.py --train_file outlets.csv --pretrained /path/to/MiniLM --bert_epochs 3 \
        --output_dir runs/long_texts --markdown long_texts.md [--seeds 1 2 3] [--rows ...] [extra recipe flags]

Each row is a recipe run as a user would start it (benchmarks/recipe_runs.py's train_run), one per seed, scored on the
dev split the recipe carves from --train_file: cnn-vectors truncated at 64 tokens, chunked into windows of 64, and
truncated at 512; gru-vectors (a recurrent family: its time grows with the window's length) chunked into windows of
64 and truncated at 512; the bert recipe on MiniLM truncated at 128 and chunked into windows of 128 (--bert_epochs
for both).
Everything else is the recipe's. After a seed's runs, the dev split is predicted through load_classifier by every
row in turn, --timing_rounds times, so that the rows' prediction times share the machine's load; a row's time is
its median. Unknown flags go to every run. After every seed, prints the table, writes it to --markdown and every
figure to --output_dir/long_texts.json (a benchmark stopped early keeps its finished seeds).
"""

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

import torch
from recipe_runs import fmt, mean_std, portable, train_run  # same folder: a recipe run and the table's formats

from seqclf_hf.arguments import DataArguments
from seqclf_hf.data import load_data
from seqclf_hf.inference import load_classifier

# name -> (recipe, flags); the bert rows add --num_train_epochs --bert_epochs.
ROWS = {
    "cnn-vectors, 64 truncated": ("cnn-vectors", ("--max_seq_length", "64")),
    "cnn-vectors, 64 chunked": ("cnn-vectors", ("--max_seq_length", "64", "--long_text", "chunk")),
    "cnn-vectors, 512 truncated": ("cnn-vectors", ("--max_seq_length", "512")),
    "gru-vectors, 64 chunked": ("gru-vectors", ("--max_seq_length", "64", "--long_text", "chunk")),
    "gru-vectors, 512 truncated": ("gru-vectors", ("--max_seq_length", "512")),
    # As many optimizer steps as the 64-token windows' 10 epochs (about 7 windows a text): is it the windows or the
    # longer training?
    "gru-vectors, 512 truncated, 70 epochs": ("gru-vectors", ("--max_seq_length", "512", "--num_train_epochs", "70")),
    "MiniLM, 128 truncated": ("bert", ("--max_seq_length", "128")),
    "MiniLM, 128 chunked": ("bert", ("--max_seq_length", "128", "--long_text", "chunk")),
}
PREDICT_BATCH = 64
FIGURES = ("eval_accuracy", "eval_macro_f1", "train_runtime", "predict_s", "served_accuracy")


def run_flags(recipe: str, flags: tuple[str, ...], bert_epochs: int | None) -> tuple[str, ...]:
    # The train split is not scored after training: the table is about dev, and windows make that scoring long.
    flags = (*flags, "--max_train_eval_samples", "0")
    return (*flags, "--num_train_epochs", str(bert_epochs)) if recipe == "bert" and bert_epochs else flags


def dev_split(train_file: str, percentage: int) -> tuple[list[str], list[str]]:
    """The dev texts and labels the recipe carves from train_file (its split seed, this percentage)."""
    dev = load_data(DataArguments(train_file=train_file, validation_split_percentage=percentage))["validation"]
    names = dev.features["label"].names
    return dev["text"], [names[label] for label in dev["label"]]


def timed_predictions(run_dirs: dict[str, Path], texts: list[str], gold: list[str], rounds: int) -> dict:
    """Per row: the median time to predict every dev text through load_classifier, the rows taking turns in each
    round; and the accuracy of those predictions (the served model must score what training's evaluation did)."""
    classifiers = {name: load_classifier(run_dir) for name, run_dir in run_dirs.items()}
    for classifier in classifiers.values():
        classifier.predict(texts[:PREDICT_BATCH], batch_size=PREDICT_BATCH)  # warm-up
    times = {name: [] for name in classifiers}
    predicted = {}
    for _ in range(rounds):
        for name, classifier in classifiers.items():
            start = time.perf_counter()
            predicted[name] = classifier.predict(texts, batch_size=PREDICT_BATCH)
            times[name].append(time.perf_counter() - start)
    return {
        name: {"predict_s": statistics.median(times[name]), "served_accuracy": accuracy(predicted[name], gold)}
        for name in classifiers
    }


def accuracy(predicted: list[list[dict]], gold: list[str]) -> float:
    return sum(best[0]["label"] == label for best, label in zip(predicted, gold, strict=True)) / len(gold)


def window_figures(metrics: dict) -> dict:
    keys = ("eval_texts_over_one_window", "eval_windows_per_text_median", "eval_windows_per_text_max")
    keys += ("train_tokens_median", "train_texts_truncated", "eval_samples")
    return {key: metrics[key] for key in keys if key in metrics}


def summarize(runs: dict[str, list[dict]]) -> dict:
    return {
        name: {
            **{key: mean_std([run[key] for run in row_runs]) for key in FIGURES},
            "seeds": [run["seed"] for run in row_runs],
            **window_figures(row_runs[0]),
        }
        for name, row_runs in runs.items()
        if row_runs
    }


def markdown_table(summary: dict, command: str) -> str:
    header = "| row | dev acc | dev macro-F1 | train s | dev predict s | windows per dev text (median / max) | seeds |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for name, row in summary.items():
        windows = "1 (truncated)"
        if "eval_windows_per_text_median" in row:
            windows = f"{row['eval_windows_per_text_median']:g} / {row['eval_windows_per_text_max']:g}"
        lines.append(
            f"| {name} | {fmt(row['eval_accuracy'])} | {fmt(row['eval_macro_f1'])} | "
            f"{fmt(row['train_runtime'], 1, 0)} | {fmt(row['predict_s'], 1, 2)} | {windows} | "
            f"{' '.join(map(str, row['seeds']))} |"
        )
    dev_texts = next(iter(summary.values())).get("eval_samples")
    lines.append(f"\nMean ± std over the seeds, {dev_texts} dev texts; produced by `{portable(command)}`.")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_file", required=True, help="CSV of long texts; the dev split is carved from it")
    parser.add_argument("--pretrained", required=True, help="MiniLM: the bert rows' encoder, cnn-vectors' vectors")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--rows", nargs="+", choices=tuple(ROWS), default=list(ROWS))
    parser.add_argument("--bert_epochs", type=int, help="the bert rows' epochs (default: the recipe's)")
    parser.add_argument(
        "--validation_split_percentage",
        type=int,
        default=DataArguments.validation_split_percentage,
        help="percent of --train_file carved out as the dev split (the recipe's option)",
    )
    parser.add_argument("--timing_rounds", type=int, default=3)
    parser.add_argument("--output_dir", type=Path, required=True, help="the runs and long_texts.json")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--reuse", action="store_true", help="keep the runs an earlier call finished in --output_dir")
    args, args.extra = parser.parse_known_args(argv)
    args.test_file = None  # train_run's options: no test set here
    args.extra += ["--validation_split_percentage", str(args.validation_split_percentage)]
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = shlex.join(["python", "benchmarks/long_texts.py", *(argv if argv is not None else sys.argv[1:])])
    texts, gold = dev_split(args.train_file, args.validation_split_percentage)
    runs = {name: [] for name in args.rows}
    for seed in args.seeds:
        run_dirs = {}
        for name in args.rows:
            recipe, flags = ROWS[name]
            run_dirs[name] = args.output_dir / f"seed{seed}" / name.replace(", ", "-").replace(" ", "-")
            metrics = train_run(recipe, seed, args, run_dirs[name], run_flags(recipe, flags, args.bert_epochs))
            runs[name].append({**metrics, "seed": seed})
            print(f"seed {seed} {name}: dev acc {metrics['eval_accuracy']:.3f}, train {metrics['train_runtime']:.0f}s")
        for name, timing in timed_predictions(run_dirs, texts, gold, args.timing_rounds).items():
            runs[name][-1].update(timing)
            print(
                f"seed {seed} {name}: predict {timing['predict_s']:.2f}s, served acc {timing['served_accuracy']:.3f}"
            )
        print(write_results(runs, command, args))  # after every seed: a benchmark stopped early keeps its seeds


def write_results(runs: dict[str, list[dict]], command: str, args: argparse.Namespace) -> str:
    """long_texts.json (every run and the summary) and the --markdown table over the seeds so far; the table."""
    summary = summarize(runs)
    table = markdown_table(summary, command)
    figures = {"command": command, "threads": torch.get_num_threads(), "rows": summary, "runs": runs}
    (args.output_dir / "long_texts.json").write_text(json.dumps(figures, indent=1))
    if args.markdown:
        args.markdown.write_text(table)
    return table


if __name__ == "__main__":
    main()
