"""One process vs two (CPU DDP over gloo): the same recipe, data and seeds; prints samples/s and accuracy of each.

    python benchmarks/ddp_throughput.py --train_file $TRAIN_FILE [--model lstm]
    python benchmarks/ddp_throughput.py --train_file ... --effective_batch 32 --seeds 42 43 44

Without --effective_batch both runs use the config's per-device batch, so the effective batch (per-device batch x
processes, in each run's metrics.json) doubles and the two-process run takes half the optimizer steps. With it, the
one-process run gets all of it (32) and each of two processes half (16): the same optimizer steps on the same
batches, so dev accuracy should agree within seed noise (the correctness check of DDP, rather than its speed).
"""

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ACCELERATE = Path(sys.executable).parent / "accelerate"


def run(processes: int, seed: int, args, output_dir: Path) -> dict:
    launcher = [str(ACCELERATE), "launch", "--config_file", str(REPO / "recipes/accelerate/cpu-ddp.yaml")]
    launcher += ["--num_processes", str(processes)]
    if processes == 1:
        launcher = [sys.executable]
    command = [*launcher, str(REPO / "recipes/train.py"), "--model", args.model, "--train_file", args.train_file]
    command += ["--num_train_epochs", str(args.epochs), "--seed", str(seed), "--output_dir", str(output_dir)]
    command += ["--disable_tqdm", "true"]
    if args.effective_batch:
        command += ["--per_device_train_batch_size", str(args.effective_batch // processes)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads((output_dir / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_file", required=True)
    parser.add_argument("--model", default="lstm")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42])
    parser.add_argument("--effective_batch", type=int, help="split over the processes (even number)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for seed in args.seeds:
            for processes in (1, 2):
                metrics = run(processes, seed, args, Path(scratch) / f"p{processes}-s{seed}")
                rows.append((processes, seed, metrics))
    header = ("processes", "seed", "eff. batch", "steps", "samples/s", "train s", "val acc")
    print("{:>9} {:>5} {:>10} {:>6} {:>10} {:>8} {:>8}".format(*header))
    for processes, seed, m in rows:
        print(
            f"{processes:>9} {seed:>5} {m['effective_batch_size']:>10} {m['global_step']:>6} "
            f"{m['train_samples_per_second']:>10.1f} {m['train_runtime']:>8.1f} {m['eval_accuracy']:>8.4f}"
        )
    for processes in (1, 2):
        accuracies = [m["eval_accuracy"] for p, _, m in rows if p == processes]
        spread = f" ± {statistics.stdev(accuracies):.4f}" if len(accuracies) > 1 else ""
        print(f"{processes} process(es): val acc {statistics.mean(accuracies):.4f}{spread} over seeds {args.seeds}")
    speed = {p: statistics.mean(m["train_samples_per_second"] for q, _, m in rows if q == p) for p in (1, 2)}
    print(f"two processes / one: {speed[2] / speed[1]:.2f}x samples/s")


if __name__ == "__main__":
    main()
