"""The recipe's data path on a large made-up CSV: time per 100k rows of each stage, peak RSS, and what datasets did.

    python benchmarks/data_scale.py [--rows 1000000] [--json results.json]

Writes ROWS made-up questions (6 labels) to a temporary CSV, then runs what prepare_data runs in the main process:
load_data (CSV -> Arrow, columns renamed, labels encoded, 10% validation carved), build_tokenizer (a word tokenizer
trained on the training split) and tokenize. datasets parses the CSV into a memory-mapped Arrow file once and writes
each later step to a cache file: the log counts show the CSV is read once, and the peak RSS, compared with the file's
size, that the rows are not all held in memory, let alone twice. (A second process of a DDP run reads those cache
files instead: tests/test_distributed.py checks that.)
"""

import argparse
import csv
import json
import logging
import random
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

import datasets

from seqclf_hf.arguments import DataArguments, ModelArguments
from seqclf_hf.build import build_tokenizer
from seqclf_hf.data import load_data, tokenize

LABELS = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
# datasets' INFO lines that say what happened to the data, by their first words.
EVENTS = ("Generating dataset", "Found cached dataset", "Caching processed dataset", "Loading cached processed")


def write_csv(path: Path, rows: int, seed: int = 0) -> None:
    """Questions of 4-20 words from a 20k-word made-up vocabulary, about as long as TREC's."""
    generator = random.Random(seed)
    words = [f"w{index}" for index in range(20000)]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for _ in range(rows):
            text = " ".join(generator.choices(words, k=generator.randint(4, 20))) + " ?"
            writer.writerow([text, generator.choice(LABELS)])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


class EventCounter(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.counts = Counter()

    def emit(self, record):
        message = record.getMessage()
        self.counts.update(event for event in EVENTS if message.startswith(event))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    datasets.disable_progress_bars()
    datasets.logging.set_verbosity_info()
    events = EventCounter()
    datasets.logging.get_logger().addHandler(events)

    with tempfile.TemporaryDirectory() as scratch:
        csv_path = Path(scratch) / "questions.csv"
        write_csv(csv_path, args.rows)
        datasets.config.HF_DATASETS_CACHE = Path(scratch) / "cache"  # a cold cache: every step really runs
        stages, start_rss = {}, peak_rss_mb()
        start = time.perf_counter()
        raw = load_data(DataArguments(train_file=str(csv_path)))
        stages["load_data"] = time.perf_counter() - start
        start = time.perf_counter()
        tokenizer = build_tokenizer(ModelArguments(model_family="lstm", train_tokenizer="word"), raw["train"]["text"])
        stages["build_tokenizer"] = time.perf_counter() - start
        start = time.perf_counter()
        tokenized = tokenize(raw, tokenizer, max_seq_length=64)
        stages["tokenize"] = time.perf_counter() - start
        results = {
            "rows": args.rows,
            "csv_mb": csv_path.stat().st_size / 2**20,
            "seconds_per_100k_rows": {stage: seconds * 100_000 / args.rows for stage, seconds in stages.items()},
            "seconds": stages,
            "peak_rss_mb": peak_rss_mb(),
            "peak_rss_mb_before_loading": start_rss,
            "datasets_events": dict(events.counts),
            "splits": {split: len(dataset) for split, dataset in tokenized.items()},
        }
    print(json.dumps(results, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
