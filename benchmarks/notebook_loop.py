"""The course notebooks' training loop, the baseline recipes/train.py is measured against.

    python benchmarks/notebook_loop.py --train_file $TRAIN_FILE --seed 42 --json out.json

As their BaseTrainer did: every question padded to the longest of its split, a plain BiLSTM reading the padding
(final hidden states of both directions), Adam, a Python loop over batches, the dev split scored after each epoch and
the best epoch kept. Same data, split, word tokenizer, sizes, epochs and learning rate as recipes/configs/lstm.yaml,
so the difference in samples/s is the recipe's (per-batch padding, the recipe's model, the Trainer), not the task's.
"""

import argparse
import json
import time
from pathlib import Path

import torch
import yaml
from torch import nn

from seqclf_hf.arguments import DataArguments
from seqclf_hf.build import train_tokenizer
from seqclf_hf.data import load_data
from seqclf_hf.metrics import ClassificationReport

LSTM_RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "configs" / "lstm.yaml"


class NotebookBiLSTM(nn.Module):
    def __init__(self, vocab_size: int, embedding_dim: int, hidden_size: int, num_labels: int, dropout: float):
        super().__init__()
        self.embeddings = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_size, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Linear(2 * hidden_size, num_labels)

    def forward(self, input_ids: torch.Tensor) -> torch.Tensor:
        _, (hidden, _) = self.lstm(self.embeddings(input_ids))  # hidden: (2 directions, batch, hidden)
        return self.classifier(self.dropout(torch.cat([hidden[0], hidden[1]], dim=-1)))


def padded_to_longest(tokenizer, texts: list[str], max_length: int) -> torch.Tensor:
    """Every question padded to the longest question of the whole split, as the notebooks' loader did."""
    return tokenizer(texts, padding="longest", truncation=True, max_length=max_length, return_tensors="pt")[
        "input_ids"
    ]


def predict(model: nn.Module, input_ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return torch.cat([model(batch).argmax(-1) for batch in input_ids.split(batch_size)])


def score(model, input_ids, labels, label_names, batch_size) -> dict:
    return ClassificationReport().compute(
        predictions=predict(model, input_ids, batch_size), references=labels, label_names=label_names
    )


def train_notebook_style(args) -> dict:
    recipe = yaml.safe_load(LSTM_RECIPE.read_text())
    epochs = args.epochs or recipe["num_train_epochs"]
    torch.manual_seed(args.seed)
    splits = load_data(DataArguments(train_file=args.train_file, test_file=args.test_file))
    label_names = splits["train"].features["label"].names
    tokenizer = train_tokenizer(splits["train"]["text"], "word", vocab_size=20000)
    encoded = {
        name: (
            padded_to_longest(tokenizer, list(split["text"]), recipe["max_seq_length"]),
            torch.tensor(split["label"]),
        )
        for name, split in splits.items()
    }
    model = NotebookBiLSTM(
        len(tokenizer), recipe["embedding_dim"], recipe["hidden_sizes"][0], len(label_names), recipe["dropout"]
    )
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe["learning_rate"])
    train_ids, train_labels = encoded["train"]
    batch_size, eval_batch_size = recipe["per_device_train_batch_size"], recipe["per_device_eval_batch_size"]
    best_accuracy, best_state = -1.0, None
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        for batch in torch.randperm(len(train_labels)).split(batch_size):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(train_ids[batch]), train_labels[batch])
            loss.backward()
            optimizer.step()
        dev_accuracy = score(model, *encoded["validation"], label_names, eval_batch_size)["accuracy"]
        if dev_accuracy > best_accuracy:
            best_accuracy, best_state = dev_accuracy, {k: v.clone() for k, v in model.state_dict().items()}
    runtime = time.perf_counter() - start
    model.load_state_dict(best_state)
    metrics = {
        "seed": args.seed,
        "train_runtime": runtime,
        "train_samples_per_second": epochs * len(train_labels) / runtime,
        "padded_length": train_ids.shape[1],
        "parameters": sum(p.numel() for p in model.parameters()),
    }
    for name, prefix in (("train", "train"), ("validation", "eval"), ("test", "test")):
        if name in encoded:
            report = score(model, *encoded[name], label_names, eval_batch_size)
            metrics[f"{prefix}_accuracy"], metrics[f"{prefix}_macro_f1"] = report["accuracy"], report["macro_f1"]
    return metrics


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train_file", required=True)
    parser.add_argument("--test_file")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--epochs", type=int, help="default: the lstm recipe's")
    parser.add_argument("--json", help="also write the metrics here")
    args = parser.parse_args()
    metrics = train_notebook_style(args)
    if args.json:
        Path(args.json).write_text(json.dumps(metrics, indent=2) + "\n")
    print(json.dumps(metrics, indent=2))


if __name__ == "__main__":
    main()
