"""The figures every run writes: the training curve, and a confusion matrix (one label per text) or predicted
against true values (a regression)."""

from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")  # files only: no display on servers and CI
import matplotlib.pyplot as plt


def plot_confusion_matrix(matrix: list[list[int]], labels: list[str], path: Path, title: str) -> None:
    size = max(4.0, 0.6 * len(labels) + 2)
    figure, axes = plt.subplots(figsize=(size, size))
    image = axes.imshow(matrix, cmap="Blues")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_yticks(range(len(labels)), labels)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    threshold = max(max(row) for row in matrix) / 2
    for row, counts in enumerate(matrix):
        for column, count in enumerate(counts):
            color = "white" if count > threshold else "black"
            axes.text(column, row, count, ha="center", va="center", color=color)
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_regression(true, predicted, path: Path, title: str) -> None:
    """Predicted against true values, with the diagonal a perfect model would lie on."""
    true, predicted = np.asarray(true).reshape(-1), np.asarray(predicted).reshape(-1)
    figure, axes = plt.subplots(figsize=(5, 5))
    axes.scatter(true, predicted, s=12, alpha=0.6)
    low, high = min(true.min(), predicted.min()), max(true.max(), predicted.max())
    axes.plot([low, high], [low, high], color="grey", linestyle="--")
    axes.set_xlabel("true")
    axes.set_ylabel("predicted")
    axes.set_title(title)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)


def plot_training_curve(log_history: list[dict], path: Path, metric: str = "accuracy") -> None:
    """Training and validation loss, and the validation `metric`, against epochs, from `trainer.state.log_history`."""
    train = [(entry["epoch"], entry["loss"]) for entry in log_history if "loss" in entry]
    evals = [entry for entry in log_history if "eval_loss" in entry]
    figure, (loss_axes, accuracy_axes) = plt.subplots(1, 2, figsize=(10, 4))
    if train:
        loss_axes.plot(*zip(*train, strict=True), label="train")
    loss_axes.plot([e["epoch"] for e in evals], [e["eval_loss"] for e in evals], marker="o", label="validation")
    loss_axes.set_xlabel("epoch")
    loss_axes.set_ylabel("loss")
    loss_axes.legend()
    accuracy_axes.plot([e["epoch"] for e in evals], [e.get(f"eval_{metric}") for e in evals], marker="o")
    accuracy_axes.set_xlabel("epoch")
    accuracy_axes.set_ylabel(f"validation {metric}")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
