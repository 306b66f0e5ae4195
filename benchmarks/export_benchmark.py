"""Torch eager vs ONNX fp32 vs ONNX int8 for one trained output_dir: accuracy, logit difference and speed.

    python benchmarks/export_benchmark.py outputs/lstm
    python benchmarks/export_benchmark.py outputs/bert --file TREC_10.label

Exports the model (fp32 and int8, `seqclf_hf.export`) into a temporary folder and scores the three on the run's dev
split (carved again from the run's own data options, in run_args.json) or on a labelled --file. Every variant is
loaded and timed through `load_classifier`, as the Space and the latency columns of benchmarks/benchmark.py do.
"""

import argparse
import json
import sys
import tempfile
from pathlib import Path

import torch
from recipe_runs import inference_speed  # same folder: the latency and questions/s of the benchmark table

from seqclf_hf.arguments import DataArguments
from seqclf_hf.data import load_data
from seqclf_hf.export import export_onnx
from seqclf_hf.inference import load_classifier
from seqclf_hf.run_layout import RUN_ARGS_FILE

BATCH_SIZE = 64


def questions_and_labels(model_dir: Path, file: str | None) -> tuple[list[str], list[str]]:
    """The run's dev split, or `file` read with the run's data options."""
    options = json.loads((model_dir / RUN_ARGS_FILE).read_text())["data"]
    if file:
        options["test_file"] = file
    split = load_data(DataArguments(**options))["test" if file else "validation"]
    names = split.features["label"].names
    return list(split["text"]), [names[label] for label in split["label"]]


def all_logits(source: Path, texts: list[str]) -> tuple[list[str], torch.Tensor]:
    """The label names and the (texts, labels) logits of the classifier `source` holds."""
    classifier = load_classifier(source)
    rows = []
    with torch.inference_mode():
        for start in range(0, len(texts), BATCH_SIZE):
            inputs = classifier.tensors(classifier.encode(texts[start : start + BATCH_SIZE]))
            rows.append(classifier.model(**inputs).logits.float())
    return classifier.labels, torch.cat(rows)


def scores(source: Path, texts: list[str], gold: list[str]) -> dict:
    labels, logits = all_logits(source, texts)
    correct = sum(labels[index] == label for index, label in zip(logits.argmax(-1).tolist(), gold, strict=True))
    return {"logits": logits, "accuracy": correct / len(gold), **inference_speed(source, texts)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", help="an output_dir of recipes/train.py (with its run_args.json)")
    parser.add_argument("--file", help="a labelled file to score instead of the run's dev split")
    # On a busy machine intra-op threads can spend most of a small model's time waiting for each other (see the
    # docs/performance.md). ONNX sessions take torch's thread count, so this sets both.
    parser.add_argument("--threads", type=int, help="intra-op threads of torch and onnxruntime (default: torch's)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model_dir = Path(args.model_dir)
    texts, gold = questions_and_labels(model_dir, args.file)
    print(f"python benchmarks/export_benchmark.py {' '.join(argv if argv is not None else sys.argv[1:])}")
    print(f"{len(texts)} questions ({args.file or 'dev split'}); intra-op threads: {torch.get_num_threads()}\n")
    print("| variant | accuracy | max abs logit diff vs torch | p50 latency ms (1 question) | batched q/s | x torch |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as exports:
        variants = {
            "torch eager": model_dir,
            "ONNX fp32": export_onnx(model_dir, Path(exports) / "fp32"),
            "ONNX int8": export_onnx(model_dir, Path(exports) / "int8", int8=True),
        }
        results = {name: scores(source, texts, gold) for name, source in variants.items()}
    torch_logits, torch_speed = results["torch eager"]["logits"], results["torch eager"]["batched_questions_per_s"]
    for name, result in results.items():
        print(
            f"| {name} | {100 * result['accuracy']:.2f} | {(result['logits'] - torch_logits).abs().max().item():.2e} "
            f"| {result['latency_p50_ms']:.2f} | {result['batched_questions_per_s']:.0f} "
            f"| {result['batched_questions_per_s'] / torch_speed:.2f} |"
        )


if __name__ == "__main__":
    main()
