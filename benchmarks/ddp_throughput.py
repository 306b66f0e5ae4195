"""One process vs two (CPU DDP over gloo): the same recipe, data and seed; prints samples/s and accuracy of each.

    python benchmarks/ddp_throughput.py --train_file ../shared/data/trec/train_5500.label [--model lstm]

Each run's effective batch is per-device batch x processes (reported in its metrics.json), so the two-process run
takes half the optimizer steps of the one-process run over the same epochs.
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ACCELERATE = Path(sys.executable).parent / "accelerate"


def run(processes: int, args, output_dir: Path) -> dict:
    launcher = [str(ACCELERATE), "launch", "--config_file", str(REPO / "recipes/accelerate/cpu-ddp.yaml")]
    launcher += ["--num_processes", str(processes)]
    if processes == 1:
        launcher = [sys.executable]
    command = [*launcher, str(REPO / "recipes/train.py"), "--model", args.model, "--train_file", args.train_file]
    command += ["--num_train_epochs", str(args.epochs), "--output_dir", str(output_dir), "--disable_tqdm", "true"]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return json.loads((output_dir / "metrics.json").read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_file", required=True)
    parser.add_argument("--model", default="lstm")
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        for processes in (1, 2):
            metrics = run(processes, args, Path(scratch) / f"p{processes}")
            rows.append((processes, metrics))
    print(f"{'processes':>9} {'eff. batch':>10} {'steps':>6} {'samples/s':>10} {'train s':>8} {'val acc':>8}")
    for processes, m in rows:
        print(
            f"{processes:>9} {m['effective_batch_size']:>10} {m['global_step']:>6} "
            f"{m['train_samples_per_second']:>10.1f} {m['train_runtime']:>8.1f} {m['eval_accuracy']:>8.4f}"
        )
    ratio = rows[1][1]["train_samples_per_second"] / rows[0][1]["train_samples_per_second"]
    print(f"two processes / one: {ratio:.2f}x samples/s")


if __name__ == "__main__":
    main()
