"""Running a shipped recipe as a user would, timing the model it trained, and formatting the figures for a table.

The benchmark scripts in this folder import it by its name (`from recipe_runs import train_run`): each is run as
`python benchmarks/<script>.py`, which puts this folder on the import path.
"""

import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import yaml

from seqclf_hf.inference import load_classifier
from seqclf_hf.models import PRETRAINED_FAMILY

REPO = Path(__file__).resolve().parents[1]
TRAIN_SCRIPT = REPO / "recipes" / "train.py"
CONFIGS_DIR = REPO / "recipes" / "configs"
# Paths differ between machines: RESULTS.md shows these flags' values as the placeholders the docs use.
PATH_PLACEHOLDERS = {"--train_file": "$TRAIN_FILE", "--test_file": "$TEST_FILE", "--pretrained": "$PRETRAINED"}
LATENCY_QUESTIONS = 50


def train_run(model: str, seed: int, args, output_dir: Path, flags: tuple[str, ...] = (), env=None) -> dict:
    """One recipe run as a user would start it, with `flags` added (and `env` as its environment); returns its
    metrics.json (with --reuse, that of the run an earlier benchmark left in `output_dir`, if it finished)."""
    if earlier := reusable(output_dir, args):
        return earlier
    data = ["--train_file", args.train_file] + (["--test_file", args.test_file] if args.test_file else [])
    command = [sys.executable, str(TRAIN_SCRIPT), "--model", model, "--seed", str(seed), *data]
    command += ["--output_dir", str(output_dir), "--overwrite_output_dir", "true", "--disable_tqdm", "true"]
    command += ["--max_train_eval_samples", str(10**9)]  # the table's train accuracy is on the whole train split
    if args.pretrained:
        command += pretrained_flags(model, args.pretrained)
    command += [*args.extra, *flags]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return json.loads((output_dir / "metrics.json").read_text())


def reusable(output_dir: Path, args) -> dict | None:
    """With --reuse, the metrics of the run an earlier benchmark finished in `output_dir`; otherwise None."""
    metrics = output_dir / "metrics.json"
    return json.loads(metrics.read_text()) if args.reuse and metrics.is_file() else None


def pretrained_flags(model: str, encoder: str) -> list[str]:
    """Where the recipe takes --pretrained: the encoder to fine-tune, or the source of its word vectors."""
    recipe = yaml.safe_load((CONFIGS_DIR / f"{model}.yaml").read_text())
    if recipe["model_family"] == PRETRAINED_FAMILY:
        return ["--model_name_or_path", encoder]
    return ["--pretrained_embeddings", encoder] if "pretrained_embeddings" in recipe else []


def inference_speed(output_dir: Path, questions: list[str]) -> dict:
    """p50 latency of one question at a time, and batched questions per second, through seqclf_hf.inference."""
    classifier = load_classifier(output_dir)
    classifier.predict(questions[0])  # warm-up: first call builds caches
    latencies = []
    for question in questions[:LATENCY_QUESTIONS]:
        start = time.perf_counter()
        classifier.predict(question)
        latencies.append(time.perf_counter() - start)
    start = time.perf_counter()
    classifier.predict(questions, batch_size=64)
    return {
        "latency_p50_ms": 1000 * statistics.median(latencies),
        "batched_questions_per_s": len(questions) / (time.perf_counter() - start),
    }


def mean_std(values: list[float]) -> tuple[float, float]:
    return statistics.mean(values), statistics.stdev(values) if len(values) > 1 else 0.0


def fmt(pair, scale=100.0, digits=1) -> str:
    """ "mean ± std"; "–" for a figure a row does not have (the notebook loop has no pipeline)."""
    if pair is None:
        return "–"
    mean, std = pair
    return f"{scale * mean:.{digits}f} ± {scale * std:.{digits}f}"


def portable(command: str) -> str:
    """`command` with the paths of PATH_PLACEHOLDERS' flags replaced by their placeholders."""
    for flag, placeholder in PATH_PLACEHOLDERS.items():
        command = re.sub(rf"{flag} \S+", f"{flag} {placeholder}", command)
    return command
