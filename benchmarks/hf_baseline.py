"""What a user of Hugging Face's text-classification example (run_classification.py) gets: the baseline the bert
recipe's training speed is measured against.

    python benchmarks/hf_baseline.py --model_name_or_path /path/to/MiniLM --train_file train_5500.label \
        --max_steps 150 --padding max_length --json out.json

AutoTokenizer + AutoModelForSequenceClassification + Trainer with the bert recipe's hyperparameters (learning rate,
batch size, warmup, weight decay, max_seq_length, seed; recipes/configs/bert.yaml), on the same train / dev split
as the recipe. `--padding max_length` is the example's default (pad_to_max_length: every text padded to
max_seq_length); `--padding longest` pads each batch to its longest text (DataCollatorWithPadding), as the example
does with --pad_to_max_length false. Writes train_samples_per_second, train_loss and the dev accuracy.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
import yaml
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    DataCollatorWithPadding,
    Trainer,
    TrainingArguments,
    default_data_collator,
    set_seed,
)

from seqclf_hf.arguments import DataArguments
from seqclf_hf.data import load_data

BERT_RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "configs" / "bert.yaml"


def accuracy(prediction) -> dict:
    return {"accuracy": float((np.argmax(prediction.predictions, axis=-1) == prediction.label_ids).mean())}


def train_baseline(args) -> dict:
    recipe = yaml.safe_load(BERT_RECIPE.read_text())
    set_seed(recipe["seed"])
    splits = load_data(DataArguments(train_file=args.train_file))
    labels = splits["train"].features["label"].names
    tokenizer = AutoTokenizer.from_pretrained(args.model_name_or_path)
    model = AutoModelForSequenceClassification.from_pretrained(
        args.model_name_or_path, num_labels=len(labels), id2label=dict(enumerate(labels))
    )
    padding = "max_length" if args.padding == "max_length" else False
    encoded = splits.map(
        lambda batch: tokenizer(batch["text"], padding=padding, truncation=True, max_length=recipe["max_seq_length"]),
        batched=True,
        remove_columns=["text"],
    )
    training_args = TrainingArguments(
        output_dir=args.output_dir,
        max_steps=args.max_steps,
        learning_rate=recipe["learning_rate"],
        warmup_steps=recipe["warmup_steps"],
        weight_decay=recipe["weight_decay"],
        per_device_train_batch_size=recipe["per_device_train_batch_size"],
        per_device_eval_batch_size=recipe["per_device_eval_batch_size"],
        seed=recipe["seed"],
        bf16=args.bf16,
        use_cpu=not torch.cuda.is_available(),  # what the example needs for --bf16 on a CPU
        eval_strategy="no",
        save_strategy="no",
        report_to="none",
        disable_tqdm=True,
    )
    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=encoded["train"],
        eval_dataset=encoded["validation"],
        processing_class=tokenizer,
        data_collator=default_data_collator if padding else DataCollatorWithPadding(tokenizer),
        compute_metrics=accuracy,
    )
    metrics = trainer.train().metrics
    return {**metrics, **trainer.evaluate()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model_name_or_path", required=True)
    parser.add_argument("--train_file", required=True)
    parser.add_argument("--max_steps", type=int, default=150)
    parser.add_argument("--padding", choices=["max_length", "longest"], default="max_length")
    parser.add_argument("--bf16", action="store_true", help="Trainer's --bf16 (CPU autocast on a CPU)")
    parser.add_argument("--output_dir", default="outputs/hf-baseline")
    parser.add_argument("--json", help="also write the metrics here")
    args = parser.parse_args()
    metrics = train_baseline(args)
    if args.json:
        Path(args.json).write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
