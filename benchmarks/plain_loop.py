"""The recipe's own model, batches and optimizer in a bare PyTorch loop: what the Trainer's bookkeeping costs.

    python benchmarks/plain_loop.py --model lstm --train_file $TRAIN_FILE --max_steps 300

Takes the same arguments as recipes/train.py and builds everything as the recipe does (data, tokenizer, model,
the Trainer's data loader, AdamW and learning-rate schedule, gradient clipping), then trains with forward / backward /
clip / step and nothing else: no callbacks, logging, checkpoints or evaluation. It writes `--json` with
train_samples_per_second (max_steps x batch size / time of the loop, as the Trainer counts it), train_loss and the
dev accuracy the Trainer measures after the loop. benchmarks/cpu_training.py compares it with the recipe.
"""

import json
import sys
import time
from pathlib import Path

import torch
from transformers import set_seed

from seqclf_hf.build import build_model
from seqclf_hf.recipe_parser import parse_args
from seqclf_hf.trainer import make_trainer
from seqclf_hf.training import describe_task, prepare_data


def batches(loader, steps: int):
    """`steps` batches, going over the data again as often as needed (an epoch is shorter than max_steps)."""
    while True:
        for batch in loader:
            yield batch
            steps -= 1
            if steps == 0:
                return


def train_plain(argv: list[str]) -> dict:
    model_args, data_args, training_args, run_args, _ = parse_args(argv)
    if training_args.max_steps <= 0:
        raise SystemExit("error: give --max_steps: the loop trains that many batches.")
    set_seed(training_args.seed)
    raw, _, tokenizer, tokenized, _ = prepare_data(model_args, data_args, training_args)
    task = describe_task(raw["train"], data_args, run_args)
    model = build_model(model_args, tokenizer, task.labels, task.problem_type)
    trainer = make_trainer(training_args, tokenized, tokenizer, task, data_args.length_buckets, model=model)
    trainer.create_optimizer_and_scheduler(num_training_steps=training_args.max_steps)
    optimizer, scheduler = trainer.optimizer, trainer.lr_scheduler
    model.train()
    losses = []
    start = time.perf_counter()
    for batch in batches(trainer.get_train_dataloader(), training_args.max_steps):
        loss = model(**batch).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), training_args.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(loss.detach())
    runtime = time.perf_counter() - start
    return {
        "train_runtime": runtime,
        "train_samples_per_second": training_args.max_steps * training_args.per_device_train_batch_size / runtime,
        "train_loss": torch.stack(losses).mean().item(),
        **trainer.evaluate(),
    }


def main() -> None:
    argv = sys.argv[1:]
    json_path = None
    if "--json" in argv:
        position = argv.index("--json")
        json_path, argv = argv[position + 1], argv[:position] + argv[position + 2 :]
    metrics = train_plain(argv)
    if json_path:
        Path(json_path).write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
