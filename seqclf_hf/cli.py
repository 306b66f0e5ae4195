"""Command-line parsing for the recipes: recipe defaults < YAML config < command-line flags.

`--model NAME` picks `recipes/configs/NAME.yaml`, `--config FILE` names any YAML. Every YAML key must be a field of
`ModelArguments`, `DataArguments`, `TrainingArguments`, `RunArguments` or `PeftArguments`; an unknown key or flag is
an error, never ignored.
"""

import argparse
import difflib
from pathlib import Path

import torch
import yaml
from transformers import HfArgumentParser, TrainingArguments

from .arguments import DataArguments, ModelArguments, PeftArguments, RunArguments
from .errors import ConfigError

# Every run evaluates each epoch and keeps the best checkpoint; a YAML or flag can still change any of these.
RECIPE_DEFAULTS = {
    "eval_strategy": "epoch",
    "save_strategy": "epoch",
    "logging_strategy": "epoch",
    "load_best_model_at_end": True,
    "metric_for_best_model": "accuracy",
    "greater_is_better": True,
    "save_total_limit": 2,
    "report_to": "none",
    "dataloader_pin_memory": torch.cuda.is_available(),  # pinning only helps a GPU, and warns without one
    # Without a GPU, say so: then several launched processes form a gloo process group (CPU DDP) instead of
    # each training alone.
    "use_cpu": not torch.cuda.is_available(),
    "ddp_find_unused_parameters": False,  # every trainable parameter takes part in each step; the search is costly
}


def recipe_parser() -> HfArgumentParser:
    return HfArgumentParser((ModelArguments, DataArguments, TrainingArguments, RunArguments, PeftArguments))


def read_config(path: Path) -> dict:
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        raise ConfigError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(values, dict):
        raise ConfigError(f"{path} must be a mapping of option: value, got {type(values).__name__}.")
    return values


def find_config(model: str | None, config: str | None, configs_dir: Path) -> Path:
    if model and config:
        raise ConfigError("Give --model NAME (a shipped recipe) or --config FILE, not both.")
    if config:
        path = Path(config)
        if not path.is_file():
            raise ConfigError(f"Config file {config!r} does not exist.")
        return path
    available = sorted(p.stem for p in configs_dir.glob("*.yaml"))
    if not model:
        raise ConfigError(f"Name a recipe with --model NAME (one of {available}) or a YAML with --config FILE.")
    path = configs_dir / f"{model}.yaml"
    if not path.is_file():
        raise ConfigError(f"Unknown --model {model!r}; the recipes are {available} (files in {configs_dir}).")
    return path


def check_keys(values: dict, valid: set[str], path: Path) -> None:
    unknown = sorted(set(values) - valid)
    if unknown:
        hints = [f"{key} (did you mean {', '.join(difflib.get_close_matches(key, valid, n=2))}?)" for key in unknown]
        raise ConfigError(f"{path} has unknown option(s): {'; '.join(hints)}. Remove or rename them.")


def parse_args(argv: list[str] | None, configs_dir: Path):
    """(ModelArguments, DataArguments, TrainingArguments, RunArguments, PeftArguments) from defaults, YAML, flags."""
    selector = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    selector.add_argument("--model")
    selector.add_argument("--config")
    chosen, rest = selector.parse_known_args(argv)
    parser = recipe_parser()
    if "-h" in rest or "--help" in rest:
        parser.parse_args_into_dataclasses(args=rest)  # prints help and exits
    path = find_config(chosen.model, chosen.config, configs_dir)
    values = read_config(path)
    check_keys(values, {action.dest for action in parser._actions}, path)
    defaults = {**RECIPE_DEFAULTS, "output_dir": f"outputs/{path.stem}", **values}
    parser.set_defaults(**defaults)
    for action in parser._actions:  # a value from the YAML satisfies a required flag
        if action.dest in defaults:
            action.required = False
    try:
        *parsed, unknown = parser.parse_args_into_dataclasses(args=rest, return_remaining_strings=True)
    except ValueError as error:  # TrainingArguments' own checks, e.g. bf16 without support for it
        raise ConfigError(f"Invalid training options: {error}") from error
    if unknown:
        flags = {option for action in parser._actions for option in action.option_strings}
        hints = [f"{arg} (did you mean {', '.join(difflib.get_close_matches(arg, flags, n=2))}?)" for arg in unknown]
        raise ConfigError(f"Unknown command-line argument(s): {'; '.join(hints)}. --help lists the options.")
    return tuple(parsed)
