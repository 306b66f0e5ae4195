"""The recipe's options: recipe defaults < YAML config < command-line flags, parsed into the argument dataclasses.

`--model NAME` picks the shipped `NAME.yaml` (package data in `seqclf_hf/configs/`; `recipes/configs` in a clone links
to it), `--config FILE` names any YAML. Every YAML key must be a field of `ModelArguments`, `DataArguments`,
`TrainingArguments`, `RunArguments` or `PeftArguments`; an unknown key or flag is an error, never ignored.
"""

import argparse
import copy
import dataclasses
import difflib
import importlib.resources
import re
import sys
from pathlib import Path
from typing import get_type_hints

import torch
import yaml
from transformers import HfArgumentParser, TrainingArguments
from transformers.utils import is_in_notebook

from .arguments import DataArguments, DistillArguments, ModelArguments, PeftArguments, RunArguments
from .cli import unknown_options
from .errors import ConfigError

# The shipped recipes, found wherever the package is installed.
CONFIGS_DIR = Path(str(importlib.resources.files("seqclf_hf") / "configs"))
# --help lists this project's options and these; --help-all every TrainingArguments option too.
COMMON_TRAINER_OPTIONS = (
    "output_dir",
    "num_train_epochs",
    "learning_rate",
    "per_device_train_batch_size",
    "per_device_eval_batch_size",
    "gradient_accumulation_steps",
    "weight_decay",
    "seed",
    "metric_for_best_model",
    "resume_from_checkpoint",
    "bf16",
    "fp16",
    "push_to_hub",
    "hub_model_id",
)
HELP_FLAGS = ("-h", "--help", "--help-all")
# One help section per dataclass, in this order: this project's options before the Trainer's.
SECTIONS = {
    ModelArguments: "model (ModelArguments)",
    DataArguments: "data (DataArguments)",
    RunArguments: "run (RunArguments)",
    DistillArguments: "distillation (DistillArguments, held by RunArguments)",
    PeftArguments: "parameter-efficient fine-tuning (PeftArguments)",
    TrainingArguments: "Trainer (transformers.TrainingArguments)",
}

# Given on the command line, these say how long to train: --min_train_steps then leaves them as they are.
TRAINING_LENGTH_OPTIONS = ("num_train_epochs", "max_steps")
# Every run evaluates each epoch and keeps the best checkpoint; a YAML or flag can still change any of these.
RECIPE_DEFAULTS = {
    "eval_strategy": "epoch",
    "save_strategy": "epoch",
    "logging_strategy": "epoch",
    "load_best_model_at_end": True,
    "metric_for_best_model": "accuracy",
    "greater_is_better": True,
    "save_total_limit": 2,
    # The recipes' epochs were chosen on TREC's 5,000 questions, over 1,000 steps; a few hundred texts make a few steps
    # an epoch, too few to leave the first guess (a model that answers one or two classes). 500: where 153 news
    # articles of 9 outlets took cnn from 14 to 46 dev macro-F1 (docs/benchmarks.md). An explicit epoch count is kept.
    "min_train_steps": 500,
    "report_to": "none",  # or tensorboard / trackio (pip install 'seqclf-hf[tracking]'): local files, no account
    "project": "seqclf-hf",  # trackio's project: every run of this toolkit side by side in one dashboard
    "dataloader_pin_memory": torch.cuda.is_available(),  # pinning only helps a GPU, and warns without one
    # Without a GPU, say so: then several launched processes form a gloo process group (CPU DDP) instead of
    # each training alone.
    "use_cpu": not torch.cuda.is_available(),
    # Written to a file, a progress bar is a heap of carriage returns and `[A` fragments: the epoch's log line says it.
    # A notebook's stderr is no terminal either, but there the Trainer draws its bar and metrics table as HTML.
    "disable_tqdm": not (sys.stderr.isatty() or is_in_notebook()),
    "ddp_find_unused_parameters": False,  # every trainable parameter takes part in each step; the search is costly
}


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """One name per option, and a default only where there is one that the help text does not already give."""

    def _format_action_invocation(self, action):
        # HfArgumentParser also accepts --output-dir for --output_dir; listing both would double every entry.
        shown, alias = copy.copy(action), "--" + action.dest.replace("_", "-")
        if "_" in action.dest:
            shown.option_strings = [option for option in action.option_strings if option != alias] or [alias]
        return super()._format_action_invocation(shown)

    def _get_help_string(self, action):
        if action.default is None or "(default: " in (action.help or ""):
            return action.help
        # The Trainer's "Defaults to 'loss'." is transformers' default, not this run's (shown after it).
        return re.sub(r" ?Defaults to [^.]*\.", "", super()._get_help_string(action))


class RecipeParser(HfArgumentParser):
    """HfArgumentParser with a help section per dataclass, after one for choosing the recipe."""

    def __init__(self, configs_dir: Path = CONFIGS_DIR, prog: str = "seqclf-hf train"):
        super().__init__(
            prog=prog,
            usage="%(prog)s (--model NAME | --config FILE) [options]   (in a clone also: python recipes/COMMAND.py)",
            formatter_class=HelpFormatter,
            add_help=False,
            allow_abbrev=False,  # `--num_train_epoch 1` is a typo to name, not a prefix of --num_train_epochs
        )
        recipe = self.add_argument_group("recipe (give one; its values are the defaults below)")
        # For the help only: parse_args takes these out first, and SUPPRESS keeps them out of the dataclasses.
        recipe.add_argument(
            "--model",
            metavar="NAME",
            default=argparse.SUPPRESS,
            help=f"a shipped recipe: {', '.join(available_recipes(configs_dir))}",
        )
        recipe.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="any YAML of options")
        recipe.add_argument(
            "-h",
            "--help",
            action="store_true",
            default=argparse.SUPPRESS,
            help="this project's options and the common Trainer ones",
        )
        recipe.add_argument(
            "--help-all", action="store_true", default=argparse.SUPPRESS, help="every option, the Trainer's too"
        )
        # Help sections in SECTIONS' order; the parsed dataclasses in parse_args' order.
        self.sections = {dtype: self.add_argument_group(title) for dtype, title in SECTIONS.items()}
        for dtype in (ModelArguments, DataArguments, TrainingArguments, RunArguments, PeftArguments):
            self.dataclass_types.append(dtype)
            self._add_dataclass_arguments(dtype)
        # The Trainer reports to several trackers at once: `--report_to tensorboard trackio` (see tracker_names).
        self._option_string_actions["--report_to"].nargs = "+"

    def _add_dataclass_arguments(self, dtype):
        hints = get_type_hints(dtype)
        for field in dataclasses.fields(dtype):
            if field.init:
                field.type = hints[field.name]
                # A field RunArguments takes from DistillArguments is listed in the distillation section.
                owner = DistillArguments if field.name in DistillArguments.__dataclass_fields__ else dtype
                self._parse_dataclass_field(self.sections[owner], field)

    def spelt_options(self) -> set[str]:
        """Every option as --help shows it: without the `--learning-rate` alias of `--learning_rate`."""
        options = set()
        for action in self._actions:
            alias = "--" + action.dest.replace("_", "-")
            options |= {option for option in action.option_strings if "_" not in action.dest or option != alias}
        return options

    def error(self, message: str):
        """A wrong value (e.g. `--num_train_epochs many`) is one line, not argparse's usage of every option first."""
        raise ConfigError(f"{message}. --help lists the options.")

    def print_recipe_help(self, show_all: bool) -> None:
        trainer_options = {field.name for field in dataclasses.fields(TrainingArguments)}
        for action in self._actions:
            if not show_all and action.dest in trainer_options and action.dest not in COMMON_TRAINER_OPTIONS:
                action.help = argparse.SUPPRESS
        self.print_help()
        if not show_all:
            print(f"\n--help-all lists all {len(trainer_options)} Trainer options.")


def available_recipes(configs_dir: Path) -> list[str]:
    return sorted(path.stem for path in configs_dir.glob("*.yaml"))


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
    available = available_recipes(configs_dir)
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


def parse_args(argv: list[str] | None, configs_dir: Path = CONFIGS_DIR, prog: str = "seqclf-hf train"):
    """(ModelArguments, DataArguments, TrainingArguments, RunArguments, PeftArguments) from defaults, YAML, flags.

    With a help flag, prints the options with the recipe's values as defaults and exits.
    """
    selector = argparse.ArgumentParser(add_help=False, allow_abbrev=False)
    selector.add_argument("--model")
    selector.add_argument("--config")
    chosen, rest = selector.parse_known_args(argv)
    parser = RecipeParser(configs_dir, prog)
    wants_help = any(flag in rest for flag in HELP_FLAGS)
    if wants_help and not (chosen.model or chosen.config):
        values, stem = {}, "<recipe>"
    else:
        path = find_config(chosen.model, chosen.config, configs_dir)
        values, stem = read_config(path), path.stem
        check_keys(values, {field.name for dtype in SECTIONS for field in dataclasses.fields(dtype)}, path)
    defaults = {**RECIPE_DEFAULTS, "output_dir": f"outputs/{stem}", **values}
    parser.set_defaults(**defaults)
    if wants_help:
        parser.print_recipe_help(show_all="--help-all" in rest)
        raise SystemExit(0)
    for action in parser._actions:  # a value from the YAML satisfies a required flag
        if action.dest in defaults:
            action.required = False
    try:
        *parsed, unknown = parser.parse_args_into_dataclasses(args=rest, return_remaining_strings=True)
    except ValueError as error:  # TrainingArguments' own checks, e.g. bf16 without support for it
        raise ConfigError(f"Invalid training options: {' '.join(str(error).split())}") from error
    if unknown:
        raise ConfigError(unknown_options(unknown, parser.spelt_options()))
    training_args, run_args = parsed[2], parsed[3]
    if any(given(rest, name) for name in TRAINING_LENGTH_OPTIONS) and not given(rest, "min_train_steps"):
        run_args.min_train_steps = 0
    training_args.report_to = tracker_names(training_args.report_to)
    if training_args.run_name is None:  # the trackers' name of the run: which recipe, written where
        training_args.run_name = f"{stem}:{training_args.output_dir}"
    return tuple(parsed)


def given(flags: list[str], name: str) -> bool:
    """Whether the command line sets option `name` (as --name, --name=value or with dashes)."""
    spelt = (flag.split("=", 1)[0][2:].replace("-", "_") for flag in flags if flag.startswith("--"))
    return name in spelt


def tracker_names(report_to: list[str]) -> list[str]:
    """`--report_to tensorboard,trackio` (a comma list, as in a YAML string) as `--report_to tensorboard trackio`."""
    return [name for value in report_to for name in value.split(",") if name]
