"""Shipped recipes on data sets other than TREC: does any collapse, and does each beat the TF-IDF baseline?

    python benchmarks/own_data.py --data reviews=reviews.csv outlets=outlets.csv movies=movies.csv \
        --recipes cnn cnn-vectors bert --seeds 42 43 44 --pretrained /path/to/MiniLM \
        --output_dir runs/own_data --markdown own_data.md [--reuse] [extra recipe flags]

Each run is a recipe as a user would start it (benchmarks/recipe_runs.py's train_run) on one --data CSV, scored on the
dev split the recipe carves from it (no test file, the train split not rescored). From its metrics.json come the dev
accuracy and macro-F1, the majority and TF-IDF baselines' dev macro-F1 on the same split, the collapse verdict, the
classes it predicts and its training time. A row is one (data, recipe) over its seeds. Beats TF-IDF: "yes" when the
mean dev macro-F1 is above the baseline's by more than the seeds' std, "no" when below it by more, "tie" otherwise
(with one seed the std is 0: any difference counts). After every run, writes every figure to
--output_dir/own_data.json and the table to --markdown (a benchmark stopped early keeps its finished runs); with
--reuse, the runs an earlier call finished (in own_data.json or in their run folders) are kept, not trained again.
A run that fails is reported as failed and the others go on. Unknown flags go to every run.
"""

import argparse
import json
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
from recipe_runs import CONFIGS_DIR, fmt, mean_std, portable, pretrained_flags, train_run  # same folder

RECIPES = tuple(sorted(path.stem for path in CONFIGS_DIR.glob("*.yaml")))
RESULTS_FILE = "own_data.json"
FIGURES = ("eval_accuracy", "eval_macro_f1", "baseline_tfidf_eval_macro_f1", "baseline_majority_eval_macro_f1")


def run_record(name: str, recipe: str, seed: int, metrics: dict) -> dict:
    """The figures the table needs from one run's metrics.json."""
    confusion = np.asarray(metrics["eval_confusion_matrix"])
    return {
        "data": name,
        "recipe": recipe,
        "seed": seed,
        **{key: metrics[key] for key in FIGURES},
        "collapsed": metrics["collapsed"],
        "collapse_causes": metrics["collapse_causes"],
        "classes_predicted": int((confusion.sum(0) > 0).sum()),
        "classes": len(metrics["labels"]),
        "eval_samples": metrics["eval_samples"],
        "train_runtime": metrics["train_runtime"],
    }


def beats(mean: float, std: float, baseline: float) -> str:
    if mean - baseline > std:
        return "yes"
    return "no" if baseline - mean > std else "tie"


def summarize(runs: list[dict]) -> dict:
    """(data, recipe) -> mean ± std of the figures over its finished seeds, the verdicts and the failed seeds."""
    rows = {}
    for run in runs:
        rows.setdefault((run["data"], run["recipe"]), []).append(run)
    summary = {}
    for key, row_runs in rows.items():
        done = [run for run in row_runs if "failed" not in run]
        row = {"seeds": [run["seed"] for run in done], "failed": [run["seed"] for run in row_runs if "failed" in run]}
        if done:
            row |= {figure: mean_std([run[figure] for run in done]) for figure in (*FIGURES, "train_runtime")}
            row["beats_tfidf"] = beats(*row["eval_macro_f1"], row["baseline_tfidf_eval_macro_f1"][0])
            row["collapsed"] = sum(run["collapsed"] for run in done)
            row["classes_predicted"] = [run["classes_predicted"] for run in done]
            row["classes"], row["eval_samples"] = done[0]["classes"], done[0]["eval_samples"]
        summary[key] = row
    return summary


def table_row(data: str, recipe: str, row: dict) -> str:
    failed = f" (failed: {' '.join(map(str, row['failed']))})" if row["failed"] else ""
    seeds = " ".join(map(str, row["seeds"])) + failed
    if not row["seeds"]:
        return f"| {data} | {recipe} | {seeds} |" + " – |" * 8
    classes = ", ".join(map(str, row["classes_predicted"]))
    tfidf, majority = (100 * row[f"baseline_{name}_eval_macro_f1"][0] for name in ("tfidf", "majority"))
    return (
        f"| {data} | {recipe} | {seeds} | {fmt(row['eval_macro_f1'])} | {fmt(row['eval_accuracy'])} | "
        f"{tfidf:.1f} | {majority:.1f} | "
        f"{row['beats_tfidf']} | {row['collapsed']} of {len(row['seeds'])} | {classes} of {row['classes']} | "
        f"{fmt(row['train_runtime'], 1, 0)} |"
    )


def markdown_table(summary: dict, command: str) -> str:
    header = "| data | recipe | seeds | dev macro-F1 | dev acc | TF-IDF dev macro-F1 | majority dev macro-F1 |"
    header += " beats TF-IDF | collapsed | classes predicted | train s |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    lines += [table_row(data, recipe, row) for (data, recipe), row in summary.items()]
    dev_texts = sorted({f"{data} {row['eval_samples']}" for (data, _), row in summary.items() if row["seeds"]})
    lines.append(f"\nMean ± std over the seeds; dev texts: {', '.join(dev_texts)}; produced by `{portable(command)}`.")
    return "\n".join(lines) + "\n"


def data_file(value: str) -> tuple[str, str]:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"{value!r}: give NAME=PATH, e.g. reviews=reviews.csv")
    if not Path(path).is_file():
        raise argparse.ArgumentTypeError(f"{path} is not a file: give the CSV to train on")
    return name, path


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", type=data_file, required=True, help="NAME=CSV, one per data set")
    parser.add_argument("--recipes", nargs="+", choices=RECIPES, required=True, metavar="RECIPE")
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    parser.add_argument("--pretrained", help="the encoder of the bert recipes, the word vectors of the -vectors ones")
    parser.add_argument("--output_dir", type=Path, required=True, help="the runs and own_data.json")
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--reuse", action="store_true", help="keep the runs an earlier call finished")
    args, args.extra = parser.parse_known_args(argv)
    args.data = dict(args.data)
    needing = [recipe for recipe in args.recipes if pretrained_flags(recipe, "PRETRAINED")]
    if needing and not args.pretrained:
        parser.error(f"{' '.join(needing)} need --pretrained: give the encoder's folder (e.g. MiniLM's)")
    args.test_file = None  # train_run's options: the dev split only
    return args


def earlier_runs(args: argparse.Namespace) -> list[dict]:
    """With --reuse, the runs own_data.json holds from an earlier call; otherwise none."""
    results = args.output_dir / RESULTS_FILE
    return json.loads(results.read_text())["runs"] if args.reuse and results.is_file() else []


def one_run(name: str, recipe: str, seed: int, args: argparse.Namespace) -> dict:
    run_args = argparse.Namespace(**vars(args), train_file=args.data[name])
    flags = ("--max_train_eval_samples", "0")  # the table is about dev: the train split is not scored again
    try:
        metrics = train_run(recipe, seed, run_args, args.output_dir / name / recipe / f"seed{seed}", flags)
    except subprocess.CalledProcessError as failure:
        print(f"{name} {recipe} seed {seed}: failed (exit {failure.returncode})", file=sys.stderr)
        return {"data": name, "recipe": recipe, "seed": seed, "failed": failure.returncode}
    return run_record(name, recipe, seed, metrics)


def write_results(runs: list[dict], command: str, args: argparse.Namespace) -> str:
    """own_data.json (every run and the summary) and the --markdown table; returns the table."""
    summary = summarize(runs)
    table = markdown_table(summary, command)
    rows = [{"data": data, "recipe": recipe, **row} for (data, recipe), row in summary.items()]
    figures = {"command": command, "rows": rows, "runs": runs}
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / RESULTS_FILE).write_text(json.dumps(figures, indent=1))
    if args.markdown:
        args.markdown.write_text(table)
    return table


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    command = shlex.join(["python", "benchmarks/own_data.py", *(argv if argv is not None else sys.argv[1:])])
    runs = earlier_runs(args)
    for seed in args.seeds:
        for recipe in args.recipes:
            for name in args.data:
                key = (name, recipe, seed)
                if any((run["data"], run["recipe"], run["seed"]) == key and "failed" not in run for run in runs):
                    continue
                runs = [run for run in runs if (run["data"], run["recipe"], run["seed"]) != key]
                runs.append(one_run(name, recipe, seed, args))
                print(write_results(runs, command, args))  # after every run: a stopped benchmark keeps its runs


if __name__ == "__main__":
    main()
