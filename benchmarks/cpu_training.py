"""Training speed on a CPU: the recipe in fp32, bf16, with torch.compile and one thread, against its baselines.

    python benchmarks/cpu_training.py --model bert --pretrained /path/to/MiniLM --train_file train_5500.label
    python benchmarks/cpu_training.py --model lstm --train_file train_5500.label --max_steps 300

Every variant trains the same model on the same data for --max_steps batches with the recipe's hyperparameters and
seed, in its own process, and the variants take turns (--rounds of them) so that a change in the machine's load
hits all of them alike. For bert the baselines are Hugging Face's example (benchmarks/hf_baseline.py) padding to
max_seq_length and padding per batch; for the families trained from scratch, the recipe's own model and batches in
a bare PyTorch loop (benchmarks/plain_loop.py). Prints samples/s (median over rounds, as the Trainer counts it:
torch.compile's compile time included), train loss and dev accuracy after those steps, and the ratios to each
baseline.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
TRAIN_SCRIPT = BENCHMARKS.parent / "recipes" / "train.py"
# No evaluation or checkpoint during training, nothing but the dev split scored after it: the loop is what is timed.
SPEED_RUN_FLAGS = ["--eval_strategy", "no", "--save_strategy", "no", "--load_best_model_at_end", "false"]
SPEED_RUN_FLAGS += ["--max_train_eval_samples", "0", "--disable_tqdm", "true", "--overwrite_output_dir", "true"]


def recipe(*flags: str, threads: int | None = None) -> dict:
    return {"script": "recipe", "flags": list(flags), "threads": threads}


def variants_of(model: str) -> dict[str, dict]:
    """Name -> how to run it; the baselines come first."""
    common = {
        "recipe": recipe(),
        "recipe --bf16": recipe("--bf16", "true"),
        "recipe --torch_compile": recipe("--torch_compile", "true"),
        "recipe, 1 thread": recipe(threads=1),
    }
    if model == "bert":
        return {
            "HF example, padded to max_seq_length": {"script": "hf", "flags": ["--padding", "max_length"]},
            "HF example, padded per batch": {"script": "hf", "flags": ["--padding", "longest"]},
            "HF example, padded per batch, --bf16": {"script": "hf", "flags": ["--padding", "longest", "--bf16"]},
            **common,
            "recipe --bf16 --torch_compile": recipe("--bf16", "true", "--torch_compile", "true"),
        }
    return {"plain loop, same model and batches": {"script": "plain", "flags": []}, **common}


def command(variant: dict, args, output_dir: Path) -> list[str]:
    steps = ["--max_steps", str(args.max_steps)]
    if variant["script"] == "hf":
        pretrained = ["--model_name_or_path", args.pretrained]
        script = [str(BENCHMARKS / "hf_baseline.py"), "--train_file", args.train_file, *pretrained, *steps]
        return [sys.executable, *script, "--output_dir", str(output_dir), "--json", str(output_dir / "metrics.json")]
    flags = ["--model", args.model, "--train_file", args.train_file, *steps, "--output_dir", str(output_dir)]
    flags += ["--model_name_or_path", args.pretrained] if args.model == "bert" and args.pretrained else []
    if variant["script"] == "plain":
        return [sys.executable, str(BENCHMARKS / "plain_loop.py"), *flags, "--json", str(output_dir / "metrics.json")]
    return [sys.executable, str(TRAIN_SCRIPT), *flags, *SPEED_RUN_FLAGS]


def run(name: str, variant: dict, args, work_dir: Path) -> dict:
    output_dir = work_dir / name.replace(" ", "_").replace(",", "").replace("-", "")
    env = {**os.environ, **({"OMP_NUM_THREADS": str(variant["threads"])} if variant.get("threads") else {})}
    finished = subprocess.run([*command(variant, args, output_dir), *variant["flags"]], env=env, capture_output=True)
    if finished.returncode:
        raise SystemExit(f"{name} failed:\n{finished.stderr.decode(errors='replace')[-3000:]}")
    metrics = json.loads((output_dir / "metrics.json").read_text())
    keys = ("train_samples_per_second", "train_runtime", "train_loss", "eval_accuracy")
    return {"variant": name, **{key: metrics[key] for key in keys}}


def summary_table(runs: list[dict], names: list[str], baselines: list[str]) -> str:
    header = "| variant | samples/s (median) | min - max | train loss | dev acc |"
    header += "".join(f" x {baseline} |" for baseline in baselines)
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    of = {name: [run for run in runs if run["variant"] == name] for name in names}
    speeds = {name: [run["train_samples_per_second"] for run in of[name]] for name in names}
    median = {name: statistics.median(speeds[name]) for name in names}
    for name in names:
        loss = statistics.mean(run["train_loss"] for run in of[name])
        accuracy = statistics.mean(run["eval_accuracy"] for run in of[name])
        row = f"| {name} | {median[name]:.1f} | {min(speeds[name]):.1f} - {max(speeds[name]):.1f} | {loss:.4f} |"
        row += f" {100 * accuracy:.1f} |" + "".join(f" {median[name] / median[base]:.2f} |" for base in baselines)
        lines.append(row)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="bert", help="a recipe: bert (needs --pretrained) or a family's name")
    parser.add_argument("--pretrained", help="the encoder bert fine-tunes (Hub id or folder)")
    parser.add_argument("--train_file", required=True)
    parser.add_argument("--max_steps", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variants", nargs="+", help="names to run (default: all of the model's)")
    parser.add_argument("--json", help="also write every run here")
    args = parser.parse_args(argv)
    if args.model == "bert" and not args.pretrained:
        parser.error("--model bert needs --pretrained (the encoder to fine-tune)")
    variants = variants_of(args.model)
    names = args.variants or list(variants)
    unknown = set(names) - set(variants)
    if unknown:
        parser.error(f"unknown variant(s) {sorted(unknown)}; {args.model} has: {'; '.join(variants)}")
    runs = []
    with tempfile.TemporaryDirectory() as work_dir:
        for round_number in range(args.rounds):
            for name in names:
                runs.append({"round": round_number, **run(name, variants[name], args, Path(work_dir))})
                print(f"round {round_number} {name}: {runs[-1]['train_samples_per_second']:.1f} samples/s", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2) + "\n")
    baselines = [name for name in names if variants[name]["script"] != "recipe"]
    print(f"\npython benchmarks/cpu_training.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"{args.max_steps} steps per run, {args.rounds} rounds, variants alternated\n")
    print(summary_table(runs, names, baselines))


if __name__ == "__main__":
    main()
