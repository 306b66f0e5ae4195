"""Hyperparameter search on the dev split with `Trainer.hyperparameter_search` (optuna); writes the best trial's YAML.

seqclf-hf search --model cnn --train_file train_5500.label --n_trials 20   # or python recipes/search.py ...
seqclf-hf train --config outputs/search-cnn/best.yaml --train_file train_5500.label

Every trial trains on the train split and is scored by its dev accuracy after the last epoch; a test split plays no
part. Searched: learning rate, epochs, batch size, weight decay, and dropout for the families that have one. The other
options come from the recipe and flags as in `seqclf-hf train`, and are kept in the written YAML.
"""

import argparse
import dataclasses
import importlib.util
import logging
from pathlib import Path

import transformers
import yaml

from .arguments import ModelArguments, PeftArguments
from .build import build_model
from .data import task_of
from .errors import ConfigError
from .models import CUSTOM_FAMILIES, PRETRAINED_FAMILY
from .peft_setup import apply_peft
from .recipe_parser import CONFIGS_DIR, find_config, parse_args, read_config
from .tasks import ProblemType
from .trainer import Task, make_trainer
from .training import prepare_data
from .validation import validate_options
from .windows import windows_of

# (low, high) per family kind: a pretrained encoder wants small learning rates and few epochs.
LEARNING_RATES = {"pretrained": (1e-5, 3e-4), "scratch": (1e-4, 1e-2)}
EPOCHS = {"pretrained": (2, 6), "scratch": (3, 15)}


def training_space(family: str):
    """The TrainingArguments fields each trial draws."""
    kind = "pretrained" if family == PRETRAINED_FAMILY else "scratch"

    def space(trial) -> dict:
        return {
            "learning_rate": trial.suggest_float("learning_rate", *LEARNING_RATES[kind], log=True),
            "num_train_epochs": trial.suggest_int("num_train_epochs", *EPOCHS[kind]),
            "per_device_train_batch_size": trial.suggest_categorical("per_device_train_batch_size", [16, 32, 64]),
            "weight_decay": trial.suggest_float("weight_decay", 0.0, 0.1),
        }

    return space


def has_dropout(family: str) -> bool:
    return family in CUSTOM_FAMILIES and "dropout" in CUSTOM_FAMILIES[family][0].architecture_fields


def model_initializer(model_args: ModelArguments, peft_args: PeftArguments, tokenizer, labels):
    """A fresh model per trial; the trial also draws its dropout (Trainer calls this once more without a trial)."""

    def model_init(trial=None):
        args = model_args
        if trial is not None and has_dropout(model_args.model_family):
            args = dataclasses.replace(model_args, dropout=trial.suggest_float("dropout", 0.0, 0.6))
        return apply_peft(build_model(args, tokenizer, labels), peft_args, model_args.model_family)

    return model_init


def given_options(*parsed) -> dict:
    """The fields of these dataclasses that differ from their defaults: what the recipe and flags chose."""
    chosen = {}
    for arguments in parsed:
        for field in dataclasses.fields(arguments):
            value = getattr(arguments, field.name)
            if value is not None and value != field.default:
                chosen[field.name] = value
    return chosen


def write_best_config(path: Path, recipe: dict, chosen: dict, best, command: str) -> None:
    values = {**recipe, **chosen, **best.hyperparameters}
    header = f"# Best of a search on the dev split: accuracy {best.objective:.4f}.\n# {command}\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + yaml.safe_dump(values, sort_keys=False))


def main(argv: list[str], prog: str = "seqclf-hf search") -> None:
    if importlib.util.find_spec("optuna") is None:
        raise ConfigError("The search needs optuna: pip install 'seqclf-hf[search]' (or pip install optuna).")
    searcher = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    searcher.add_argument("--n_trials", type=int, default=10)
    searcher.add_argument("--model")
    searcher.add_argument("--config")
    search, rest = searcher.parse_known_args(argv)
    recipe_argv = (
        rest + ["--model", search.model] * bool(search.model) + ["--config", search.config] * bool(search.config)
    )
    model_args, data_args, training_args, run_args, peft_args = parse_args(recipe_argv, CONFIGS_DIR, prog)
    recipe_path = find_config(search.model, search.config, CONFIGS_DIR)
    # Trials keep no checkpoints, are scored on their last epoch, and stay away from the trained recipe's folder.
    output_dir = training_args.output_dir if "--output_dir" in rest else f"outputs/search-{recipe_path.stem}"
    training_args = dataclasses.replace(
        training_args, output_dir=output_dir, save_strategy="no", load_best_model_at_end=False
    )
    validate_options(model_args, data_args, training_args, run_args, peft_args)
    if run_args.teacher:  # the trials' Trainer trains on gold labels: a teacher would be silently ignored
        raise ConfigError("The search does not distil: drop --teacher (search the student's settings without it).")
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=logging.INFO)
    transformers.logging.set_verbosity_warning()

    raw, labels, tokenizer, tokenized, lengths = prepare_data(model_args, data_args, training_args)
    data_args = dataclasses.replace(data_args, max_seq_length=lengths["max_seq_length"])  # auto: the length picked
    problem_type, _ = task_of(raw["train"], data_args)
    if problem_type != ProblemType.SINGLE_LABEL:
        raise ConfigError(f"The search maximises dev accuracy, a single-label metric; this data is {problem_type}.")
    model_init = model_initializer(model_args, peft_args, tokenizer, labels)
    task = Task(problem_type, labels)
    trainer = make_trainer(
        training_args,
        tokenized,
        tokenizer,
        task,
        length_buckets=data_args.length_buckets,
        windows=windows_of(data_args, problem_type),  # dev accuracy per text, not per window
        model_init=model_init,
    )
    best = trainer.hyperparameter_search(
        direction="maximize",
        backend="optuna",
        hp_space=training_space(model_args.model_family),
        n_trials=search.n_trials,
        compute_objective=lambda metrics: metrics["eval_accuracy"],
    )
    path = Path(training_args.output_dir) / "best.yaml"
    chosen = given_options(model_args, data_args, peft_args) | {"seed": training_args.seed}
    write_best_config(path, read_config(recipe_path), chosen, best, "seqclf-hf search " + " ".join(argv))
    print(f"\nBest trial: dev accuracy {best.objective:.4f} with {best.hyperparameters}")
    print(f"Its config: {path}\nTrain it:   seqclf-hf train --config {path}")
