"""Train every family with its shipped recipe over several seeds and report mean ± std, speed and size.

    python benchmarks/benchmark.py --train_file $TRAIN_FILE --seeds 42 43 44
    python benchmarks/benchmark.py --train_file $TRAIN_FILE --test_file $TEST_FILE --models lstm cnn
    python benchmarks/benchmark.py --train_file $TRAIN_FILE --models bert cnn-vectors --pretrained $MINILM

Writes, in --output_dir (default benchmarks/), results.json (every run and the aggregates), RESULTS.md (the tables,
the commands that made them and their dates; the docs include it) and accuracy.png. Every figure comes from the
runs: nothing is typed in. Hyperparameters are chosen on the validation (dev) split carved from the training file
(the same questions for every seed); a --test_file plays no part in any choice and is only reported. With lstm in
the list, the course notebooks' plain training loop (benchmarks/notebook_loop.py) runs on the same data and seeds,
and the speed ratio is reported.

With --distill, every student family in the list also trains distilled (`--teacher`) from the bert recipe's run of
the same seed, exported to ONNX int8 (the fastest teacher to score with): a "<model> distilled" row in a table of its
own, with the teacher's and the student's batched questions/s measured alternately in this process, and the teacher's
scoring time beside the student's training time.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from distill_rows import DISTILL_FLAGS, DISTILLED, distill_table, distilled_runs, is_student  # same folder
from recipe_runs import CONFIGS_DIR, REPO, fmt, inference_speed, mean_std, portable, reusable, train_run  # same folder

from seqclf_hf.arguments import DataArguments
from seqclf_hf.data import load_data
from seqclf_hf.export import export_onnx
from seqclf_hf.inference import load_classifier
from seqclf_hf.models import CUSTOM_FAMILIES
from seqclf_hf.run_layout import is_adapter

NOTEBOOK_LOOP = REPO / "benchmarks" / "notebook_loop.py"
NOTEBOOK_ROW = "lstm (notebook loop)"
DEFAULT_MODELS = tuple(CUSTOM_FAMILIES)  # each family trained from scratch with its shipped recipe
# Rows that need --pretrained: the families on its word vectors, then the encoder fine-tuned.
# transformer and manual-rnn have no *-vectors recipe: on dev they did not gain from the vectors.
VECTOR_MODELS = tuple(f"{family}-vectors" for family in ("bow", "rnn", "gru", "lstm", "cnn"))
PRETRAINED_MODELS = (*VECTOR_MODELS, "bert", "bert-lora", "bert-prefix", "bert-prompt")
# The default families, the notebook loop right after lstm, then the rows built on a pretrained encoder.
TABLE_ORDER = (
    *DEFAULT_MODELS[: DEFAULT_MODELS.index("lstm") + 1],
    NOTEBOOK_ROW,
    *DEFAULT_MODELS[DEFAULT_MODELS.index("lstm") + 1 :],
    *PRETRAINED_MODELS,
)


def notebook_loop_run(seed: int, args, output_dir: Path) -> dict:
    """benchmarks/notebook_loop.py on the same data, seed and epochs; returns its metrics (--reuse: as for
    train_run)."""
    if earlier := reusable(output_dir, args):
        return earlier
    output_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, str(NOTEBOOK_LOOP), "--train_file", args.train_file, "--seed", str(seed)]
    if "--num_train_epochs" in args.extra:  # the lstm runs were given other epochs than their recipe's
        command += ["--epochs", args.extra[args.extra.index("--num_train_epochs") + 1]]
    command += (["--test_file", args.test_file] if args.test_file else []) + [
        "--json",
        str(output_dir / "metrics.json"),
    ]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads((output_dir / "metrics.json").read_text())


def dev_accuracy(source: Path, texts: list[str], gold: list[str]) -> float:
    predicted = load_classifier(source).predict(texts, batch_size=64)
    return sum(best[0]["label"] == label for best, label in zip(predicted, gold, strict=True)) / len(gold)


def bf16_figures(model: str, seed: int, args, output_dir: Path) -> dict:
    """The same run with --bf16 true (CPU autocast on a CPU): its training speed and dev accuracy."""
    metrics = train_run(model, seed, args, output_dir, ("--bf16", "true"))
    return {
        "bf16_train_samples_per_second": metrics["train_samples_per_second"],
        "bf16_eval_accuracy": metrics["eval_accuracy"],
    }


def int8_figures(run_dir: Path, dev: tuple[list[str], list[str]], questions: list[str]) -> dict:
    """The run exported to ONNX int8 (a LoRA run: its merged/ model): dev accuracy, latency and questions/s."""
    source = run_dir / "merged" if (run_dir / "merged").is_dir() else run_dir
    if is_adapter(source):  # prefix and prompt tuning: no merged model, nothing to export
        return {}
    export = export_onnx(source, run_dir / "onnx-int8", int8=True, overwrite=True)
    speed = inference_speed(export, questions)
    return {"int8_eval_accuracy": dev_accuracy(export, *dev), **{f"int8_{key}": value for key, value in speed.items()}}


def aggregate(runs: list[dict]) -> dict:
    keys = ["train_accuracy", "eval_accuracy", "eval_macro_f1", "test_accuracy", "test_macro_f1"]
    keys += ["train_runtime", "train_samples_per_second", "peak_rss_mb", "latency_p50_ms", "batched_questions_per_s"]
    keys += ["bf16_train_samples_per_second", "bf16_eval_accuracy", "int8_eval_accuracy"]
    keys += ["int8_latency_p50_ms", "int8_batched_questions_per_s"]
    keys += ["teacher_eval_accuracy", "teacher_scoring_seconds", "x_teacher_questions_per_s"]
    summary = {key: mean_std([run[key] for run in runs]) for key in keys if all(key in run for run in runs)}
    summary["parameters"] = runs[0]["parameters"]
    summary["trainable_parameters"] = runs[0].get("trainable_parameters", runs[0]["parameters"])
    summary["seeds"] = [run["seed"] for run in runs]
    if "threads" in runs[0]:
        summary["threads"] = runs[0]["threads"]
    return summary


def markdown_table(results: dict) -> str:
    has_test = all("test_accuracy" in summary for summary in results.values())
    header = "| model | dev acc | dev macro-F1 | train acc |" + (" test acc | test macro-F1 |" if has_test else "")
    header += (
        " params | trainable | train s | train samples/s | peak RSS MB | p50 latency ms | batched q/s | threads |"
    )
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for model, s in results.items():
        if model.endswith(DISTILLED):
            continue
        row = f"| {model} | {fmt(s['eval_accuracy'])} | {fmt(s['eval_macro_f1'])} | {fmt(s['train_accuracy'])} |"
        if has_test:
            row += f" {fmt(s['test_accuracy'])} | {fmt(s['test_macro_f1'])} |"
        trainable = 100 * s["trainable_parameters"] / s["parameters"]
        row += f" {s['parameters']:,} | {trainable:.2f}% | {fmt(s['train_runtime'], 1, 0)} |"
        row += f" {fmt(s['train_samples_per_second'], 1, 0)} | {fmt(s.get('peak_rss_mb'), 1, 0)} |"
        row += f" {fmt(s.get('latency_p50_ms'), 1, 1)} | {fmt(s.get('batched_questions_per_s'), 1, 0)} |"
        row += f" {s.get('threads', '–')} |"
        lines.append(row)
    seeds = next(iter(results.values()))["seeds"]
    lines.append(f"\nMean ± std over seeds {seeds}; produced by:\n")
    invocations = dict.fromkeys((portable(s["command"]), s.get("date")) for s in results.values())
    lines += [f"- `{command}`" + (f" ({date})" if date else "") for command, date in invocations]
    if any("threads" not in summary for summary in results.values()):
        lines.append(
            "\nthreads: torch's intra-op threads in training and timing; – where not recorded (torch's default)."
        )
    if "lstm" in results and NOTEBOOK_ROW in results:
        lines.append(notebook_comparison(results["lstm"], results[NOTEBOOK_ROW]))
    if any(key.startswith(("bf16_", "int8_")) for summary in results.values() for key in summary):
        lines.append(cpu_speed_table(results))
    if any(model.endswith(DISTILLED) for model in results):
        lines.append(distill_table(results))
    return "\n".join(lines)


def cpu_speed_table(results: dict) -> str:
    """bf16 training and int8 serving next to the fp32 torch figures, for the rows measured with --bf16 / --int8."""
    header = "| model | train samples/s | bf16 samples/s | dev acc | bf16 dev acc | int8 dev acc | p50 latency ms |"
    header += " int8 p50 ms | batched q/s | int8 q/s |"
    lines = ["\nTraining in bf16 (`--bf16`) and serving the ONNX int8 export (`--int8`), on the same CPU:\n", header]
    lines.append("|" + "---|" * (header.count("|") - 1))
    for model, s in results.items():
        if not any(key.startswith(("bf16_", "int8_")) for key in s):
            continue
        row = f"| {model} | {fmt(s['train_samples_per_second'], 1, 0)} |"
        row += f" {fmt(s.get('bf16_train_samples_per_second'), 1, 0)} |"
        row += (
            f" {fmt(s['eval_accuracy'])} | {fmt(s.get('bf16_eval_accuracy'))} | {fmt(s.get('int8_eval_accuracy'))} |"
        )
        row += f" {fmt(s.get('latency_p50_ms'), 1, 1)} | {fmt(s.get('int8_latency_p50_ms'), 1, 1)} |"
        row += f" {fmt(s.get('batched_questions_per_s'), 1, 0)} | {fmt(s.get('int8_batched_questions_per_s'), 1, 0)} |"
        lines.append(row)
    return "\n".join(lines)


def notebook_comparison(recipe: dict, loop: dict) -> str:
    speedup = recipe["train_samples_per_second"][0] / loop["train_samples_per_second"][0]
    return (
        f"\nTraining throughput of the lstm recipe vs the course notebooks' loop (benchmarks/notebook_loop.py, same "
        f"data, sizes, epochs and seeds): {speedup:.2f}x samples/s; dev accuracy {fmt(recipe['eval_accuracy'])} vs "
        f"{fmt(loop['eval_accuracy'])}."
    )


def write_results(path: Path, table: str) -> None:
    """RESULTS.md: the tables alone, replaced whole on every run (the docs' benchmark page explains them).

    docs/benchmarks.md includes it from its third line, below the title."""
    title = "# Benchmark results\n\nWritten by `benchmarks/benchmark.py`; every figure comes from `results.json`.\n\n"
    path.write_text(title + table + "\n")


def plot(results: dict, path: Path) -> None:
    names = list(results)
    split = "test_accuracy" if all("test_accuracy" in s for s in results.values()) else "eval_accuracy"
    means = [100 * results[name][split][0] for name in names]
    stds = [100 * results[name][split][1] for name in names]
    figure, axes = plt.subplots(figsize=(max(5, 1.2 * len(names)), 4))
    axes.bar(names, means, yerr=stds, capsize=4, color="#4c72b0")
    axes.set_ylabel(f"{'test' if split == 'test_accuracy' else 'dev'} accuracy (%)")
    axes.set_ylim(max(0, min(means) - 10), 100)
    for index, mean in enumerate(means):
        axes.text(index, mean + 0.5, f"{mean:.1f}", ha="center")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.threads:  # the runs read OMP_NUM_THREADS; the latency timing happens in this process
        os.environ["OMP_NUM_THREADS"] = str(args.threads)
        torch.set_num_threads(args.threads)
    output_dir = Path(args.output_dir)
    command = "python benchmarks/benchmark.py " + " ".join(argv if argv is not None else sys.argv[1:])
    stamp = {"command": command, "date": datetime.date.today().isoformat()}  # on every row this benchmark makes
    dev = dev_set(args.train_file)
    questions = dev[0][:200]
    results, runs = earlier_results(output_dir / "results.json", args)
    teachers, exported = {}, set()  # seed -> the bert run trained by this benchmark; the runs exported to int8
    for model in args.models:
        rows = {model: model_runs(model, args, output_dir, dev, questions, teachers)}
        if model == "lstm":
            rows[NOTEBOOK_ROW] = notebook_loop_runs(args, output_dir)
        if args.distill and is_student(model):
            rows[model + DISTILLED] = distilled_runs(model, args, output_dir, questions, teachers, exported)
        for row, row_runs in rows.items():
            runs += row_runs
            results[row] = {**aggregate(row_runs), **stamp}
        results = in_table_order(results)
        # Written after every model, so a long benchmark that stops keeps what it measured.
        (output_dir / "results.json").write_text(json.dumps({"results": results, "runs": runs}, indent=2) + "\n")
    table = markdown_table(results)
    write_results(output_dir / "RESULTS.md", table)
    plot(results, output_dir / "accuracy.png")
    print(table)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The options, the flags after -- in args.extra and the default models filled in; --distill without
    --pretrained is a one-line error."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_file", required=True, help="training data; the dev split is carved from it")
    parser.add_argument("--test_file", help="held-out test set, reported only")
    parser.add_argument(
        "--models",
        nargs="+",
        help=f"recipes/configs names (default: {' '.join(DEFAULT_MODELS)}, and {' '.join(PRETRAINED_MODELS)} "
        "when --pretrained is given)",
    )
    parser.add_argument(
        "--pretrained",
        help="encoder (Hub id or folder): the bert recipes' --model_name_or_path, the *-vectors recipes' "
        "--pretrained_embeddings",
    )
    parser.add_argument("--seeds", nargs="+", type=int, default=[42, 43, 44])
    parser.add_argument(
        "--output_dir", default=str(REPO / "benchmarks"), help="results.json, RESULTS.md, the chart and runs/"
    )
    parser.add_argument(
        "--update", action="store_true", help="keep the other models' rows of an earlier results.json, redo these"
    )
    parser.add_argument(
        "--bf16", action="store_true", help="train every run again with --bf16 true: its samples/s and dev accuracy"
    )
    parser.add_argument(
        "--int8", action="store_true", help="export every run to ONNX int8: its dev accuracy, latency and q/s"
    )
    parser.add_argument(
        "--distill",
        action="store_true",
        help="also train every student family distilled from the bert recipe's run of the same seed (needs "
        "--pretrained)",
    )
    parser.add_argument(
        "--distill_flags",
        default=DISTILL_FLAGS,
        help=f"the distilled runs' flags besides --teacher, one quoted string (default: {DISTILL_FLAGS!r})",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the finished runs an earlier benchmark with the same options left in runs/ (to finish one that "
        "stopped, or to measure inference and exports again) instead of training them again",
    )
    # On a shared machine, fewer threads than cores keeps other work from stalling them (docs/performance.md).
    parser.add_argument("--threads", type=int, help="intra-op threads of every run and timing (default: torch's)")
    parser.add_argument("extra", nargs=argparse.REMAINDER, help="after --: flags passed to every recipe run")
    args = parser.parse_args(argv)
    args.extra = args.extra[1:] if args.extra[:1] == ["--"] else args.extra
    args.models = args.models or [*DEFAULT_MODELS, *(PRETRAINED_MODELS if args.pretrained else ())]
    if args.distill and not args.pretrained:
        parser.error("--distill needs --pretrained: the teacher is the bert recipe's run on that encoder")
    return args


def dev_set(train_file: str) -> tuple[list[str], list[str]]:
    """The dev split carved from `train_file`, as a user would send it: raw texts, and their gold labels by name.
    Latency is measured on its questions, one at a time."""
    dev_split = load_data(DataArguments(train_file=train_file))["validation"]
    return dev_split["text"], [dev_split.features["label"].names[label] for label in dev_split["label"]]


def model_runs(
    model: str, args, output_dir: Path, dev: tuple[list[str], list[str]], questions: list[str], teachers: dict
) -> list[dict]:
    """`model`'s recipe run of every seed, with its speed (and its bf16 and int8 figures where asked); a bert run is
    recorded in `teachers`, for --distill's students of its seed."""
    runs = []
    for seed in args.seeds:
        run_dir = output_dir / "runs" / f"{model}-seed{seed}"
        metrics = train_run(model, seed, args, run_dir)
        if model == "bert":
            teachers[seed] = run_dir
        run = {"model": model, "seed": seed, **metrics, **inference_speed(run_dir, questions)}
        run["threads"] = torch.get_num_threads()
        if args.bf16:
            run.update(bf16_figures(model, seed, args, output_dir / "runs" / f"{model}-seed{seed}-bf16"))
        if args.int8:
            run.update(int8_figures(run_dir, dev, questions))
        runs.append(run)
        print(f"{model} seed {seed}: dev accuracy {run['eval_accuracy']:.4f}, {run['train_runtime']:.0f} s")
    return runs


def notebook_loop_runs(args, output_dir: Path) -> list[dict]:
    """The notebook loop's run of every seed, the row beside the lstm recipe's."""
    return [
        {
            "model": NOTEBOOK_ROW,
            **notebook_loop_run(seed, args, output_dir / "runs" / f"notebook-seed{seed}"),
            "threads": torch.get_num_threads(),
        }
        for seed in args.seeds
    ]


def in_table_order(results: dict) -> dict:
    """Rows in TABLE_ORDER, any others after them in the order they came."""
    rank = {model: position for position, model in enumerate(TABLE_ORDER)}
    return dict(sorted(results.items(), key=lambda item: rank.get(item[0], len(TABLE_ORDER))))


def earlier_results(path: Path, args) -> tuple[dict, list]:
    """With --update, the rows of an earlier results.json that this run does not redo; otherwise nothing.

    Rows of recipes no longer in recipes/configs are dropped too: nobody could reproduce them.
    """
    if not args.update or not path.is_file():
        return {}, []
    redone = set(args.models) | ({NOTEBOOK_ROW} if "lstm" in args.models else set())
    redone |= {model + DISTILLED for model in args.models} if args.distill else set()
    earlier = json.loads(path.read_text())
    kept = {
        model
        for model in earlier["results"]
        if model not in redone
        and (model == NOTEBOOK_ROW or (CONFIGS_DIR / f"{model.removesuffix(DISTILLED)}.yaml").is_file())
    }
    results = {model: summary for model, summary in earlier["results"].items() if model in kept}
    return results, [run for run in earlier["runs"] if run["model"] in kept]


if __name__ == "__main__":
    main()
