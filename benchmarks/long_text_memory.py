"""Prediction memory and time for one ever longer text, through a run's `load_classifier`.

    python benchmarks/long_text_memory.py RUN [RUN ...] --source texts.csv [--sizes 10000 100000 1000000]

Each RUN (a chunked model: its windows are scored `--batch_size` at a time) predicts one text of each size in
characters, the sizes in increasing order, each in a fresh process: a text is the `text` column of --source joined
and repeated up to that size. Prints, per run and size, the windows read, the seconds, and the process's peak resident
memory above what it held after loading the model and predicting a short text: bounded memory means that figure
grows far slower than the text.
"""

import argparse
import csv
import json
import resource
import subprocess
import sys
import time

from seqclf_hf.inference import load_classifier


def long_text(source: str, size: int) -> str:
    """The source file's texts joined and repeated up to `size` characters."""
    with open(source, encoding="utf-8", newline="") as handle:
        joined = " ".join(row["text"] for row in csv.DictReader(handle))
    return ((joined + " ") * (size // (len(joined) + 1) + 1))[:size]


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def measure(run: str, source: str, size: int, batch_size: int) -> dict:
    """One run, one text of `size` characters, in this process."""
    classifier = load_classifier(run)
    classifier.predict("a short text to warm up", batch_size=batch_size)
    loaded = peak_mib()
    text = long_text(source, size)
    started = time.perf_counter()
    classifier.predict(text, batch_size=batch_size)
    seconds = time.perf_counter() - started
    windows = 1 + len(classifier.encode([text])[0].more)
    return {
        "run": run,
        "chars": size,
        "windows": windows,
        "seconds": seconds,
        "peak_mib_over_loaded": peak_mib() - loaded,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="run folders (output_dir of recipes/train.py)")
    parser.add_argument("--source", required=True, help="CSV with a text column: the long texts are made from it")
    parser.add_argument("--sizes", nargs="+", type=int, default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--batch_size", type=int, default=64)
    parser.add_argument("--one", nargs=2, metavar=("RUN", "SIZE"), help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(measure(args.one[0], args.source, int(args.one[1]), args.batch_size)))
        return
    print("| run | characters | windows | seconds | peak MiB over loaded |\n|---|---|---|---|---|")
    for run in args.runs:
        for size in sorted(args.sizes):
            child = [sys.executable, __file__, run, "--source", args.source, "--batch_size", str(args.batch_size)]
            output = subprocess.run([*child, "--one", run, str(size)], check=True, capture_output=True, text=True)
            row = json.loads(output.stdout.splitlines()[-1])
            print(
                f"| {run} | {size:,} | {row['windows']:,} | {row['seconds']:.2f} | {row['peak_mib_over_loaded']:.1f} |"
            )


if __name__ == "__main__":
    main()
