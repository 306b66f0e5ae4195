"""The rows `benchmarks/benchmark.py --distill` adds: every student family trained again with `--teacher`, its teacher
the bert recipe's run of the same seed exported to ONNX int8, and the "<model> distilled" table beside the student's
undistilled row, with the teacher's and the student's speeds timed in turns.
"""

import os
import shlex
import statistics
import tempfile
from pathlib import Path

import yaml
from recipe_runs import CONFIGS_DIR, fmt, inference_speed, train_run  # same folder: a recipe run and its figures

from seqclf_hf.export import export_onnx
from seqclf_hf.models import PRETRAINED_FAMILY

DISTILLED = " distilled"  # the row of a family trained with --teacher: "<model> distilled"
# The options' defaults (Hinton's KL at T=2, half gold) and Tang et al.'s augmentation; the trials on other values:
# docs/distillation.md.
DISTILL_FLAGS = "--augment 4"
SPEED_ROUNDS = 3  # teacher and student timed alternately, the median of each kept


def is_student(model: str) -> bool:
    """A family that --distill trains from the encoder: every recipe but the encoder's own."""
    return yaml.safe_load((CONFIGS_DIR / f"{model}.yaml").read_text())["model_family"] != PRETRAINED_FAMILY


def distilled_runs(model: str, args, output_dir: Path, questions: list[str], teachers: dict, exported: set) -> list:
    """`model` distilled once per seed of args.seeds, each from the teacher of its seed (see teacher_for)."""
    runs = []
    for seed in args.seeds:
        teacher = teacher_for(seed, args, output_dir, teachers, exported)
        runs.append(distilled_run(model, seed, args, output_dir, teacher, questions))
        print(f"{model} distilled seed {seed}: dev accuracy {runs[-1]['eval_accuracy']:.4f}")
    return runs


def teacher_for(seed: int, args, output_dir: Path, teachers: dict, exported: set) -> tuple[Path, Path]:
    """The bert recipe's run of `seed` (trained once per benchmark; kept with --reuse) and its ONNX int8 export,
    made once per benchmark (`exported`) for all the students of that seed."""
    run_dir = teachers.get(seed)
    if run_dir is None:
        run_dir = output_dir / "runs" / f"bert-seed{seed}"
        train_run("bert", seed, args, run_dir)
    export = run_dir / "onnx-int8"
    if run_dir not in exported and not (args.reuse and export.is_dir()):
        export_onnx(run_dir, export, int8=True, overwrite=True)
    exported.add(run_dir)
    teachers[seed] = run_dir
    return run_dir, export


def distilled_run(model: str, seed: int, args, output_dir: Path, teacher: tuple[Path, Path], questions) -> dict:
    """`model` trained with the int8 teacher's scores; its speed and the torch teacher's, timed alternately."""
    run_dir = output_dir / "runs" / f"{model}{DISTILLED.replace(' ', '-')}-seed{seed}"
    flags = ("--teacher", str(teacher[1]), *shlex.split(args.distill_flags))
    with tempfile.TemporaryDirectory() as cache:  # an empty cache: the scoring time is a real one
        metrics = train_run(model, seed, args, run_dir, flags, env={**os.environ, "SEQCLF_HF_CACHE": cache})
    return {"model": model + DISTILLED, "seed": seed, **metrics, **alternated_speeds(run_dir, teacher[0], questions)}


def alternated_speeds(student: Path, teacher: Path, questions: list[str]) -> dict:
    """The student's latency and questions/s, the torch teacher's questions/s, and their ratio: timed in turns, so
    that both see the same load."""
    rounds = []
    for _ in range(SPEED_ROUNDS):
        rounds.append((inference_speed(teacher, questions), inference_speed(student, questions)))
    speeds = {
        "teacher_batched_questions_per_s": statistics.median(t["batched_questions_per_s"] for t, _ in rounds),
        "latency_p50_ms": statistics.median(s["latency_p50_ms"] for _, s in rounds),
        "batched_questions_per_s": statistics.median(s["batched_questions_per_s"] for _, s in rounds),
    }
    speeds["x_teacher_questions_per_s"] = speeds["batched_questions_per_s"] / speeds["teacher_batched_questions_per_s"]
    return speeds


def distill_table(results: dict) -> str:
    """Each distilled row under its family's undistilled one (where measured), with the teacher's figures."""
    header = "| model | teacher dev acc | dev acc | dev macro-F1 | p50 latency ms | batched q/s | x teacher q/s |"
    header += " teacher scoring s | train s |"
    title = "Distilled from the bert recipe's run of the same seed (`--distill`), scored by its ONNX int8 export:"
    lines = [f"\n{title}\n", header, "|" + "---|" * (header.count("|") - 1)]
    for model in results:
        if model.endswith(DISTILLED):
            names = (model.removesuffix(DISTILLED), model)
            lines += [distill_row(name, results[name]) for name in names if name in results]
    return "\n".join(lines)


def distill_row(name: str, s: dict) -> str:
    row = f"| {name} | {fmt(s.get('teacher_eval_accuracy'))} | {fmt(s['eval_accuracy'])} | {fmt(s['eval_macro_f1'])} |"
    row += f" {fmt(s.get('latency_p50_ms'), 1, 1)} | {fmt(s.get('batched_questions_per_s'), 1, 0)} |"
    row += f" {fmt(s.get('x_teacher_questions_per_s'), 1, 1)} | {fmt(s.get('teacher_scoring_seconds'), 1, 0)} |"
    return row + f" {fmt(s['train_runtime'], 1, 0)} |"
