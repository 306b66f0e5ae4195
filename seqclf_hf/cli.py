"""The `seqclf-hf` command: train, search, push, predict, export and demo from an installed package.

seqclf-hf train --model lstm --train_file train_5500.label     # same options as python recipes/train.py
seqclf-hf search --model cnn --train_file train_5500.label --n_trials 20
seqclf-hf push outputs/lstm your-name/trec-lstm
seqclf-hf predict outputs/lstm new_questions.csv --output preds.csv
seqclf-hf export outputs/lstm --onnx --int8                       # ONNX (+ int8) for onnxruntime
seqclf-hf space outputs/lstm outputs/cnn                      # the Gradio demo over runs (default: ./outputs)
accelerate launch -m seqclf_hf.cli train --model lstm ...     # several processes

Each subcommand's module is imported only when it runs (torch and transformers take seconds to import), and every
user error of every subcommand is answered here, as one `error: ...` line.
"""

import argparse
import difflib
import importlib
import sys

from .errors import ConfigError, TrainingInterrupted, UserInputError

# command -> the module whose main(argv, prog) runs it
COMMANDS = {
    "train": "training",
    "search": "search",
    "push": "push",
    "predict": "predict",
    "export": "export",
    "space": "space.app",
}
USAGE = f"usage: seqclf-hf {{{','.join(COMMANDS)}}} [options]   (seqclf-hf COMMAND --help: its options)"


def is_flag(arg: str) -> bool:
    """Whether a command-line word is an option (a negative number is a value)."""
    return arg.startswith("-") and not arg[1:2].isdigit()


def unknown_options(unknown: list[str], options: set[str]) -> str:
    """The one-line answer to flags no parser knows: each with its closest known option. A value after an unknown
    flag belongs to it (`--lerning_rate 1e-3`), so it is not a flag of its own."""
    flags, values = [], []
    for arg in unknown:
        if is_flag(arg):
            flags.append(arg.split("=", 1)[0])
        elif not flags:  # a value before any unknown flag: an extra positional argument
            values.append(arg)
    hints = []
    for flag in flags:
        closest = difflib.get_close_matches(flag, options, n=1)
        hints.append(f"{flag} (did you mean {closest[0]}?)" if closest else flag)
    parts = [f"unknown option{'s' if len(flags) > 1 else ''} {', '.join(hints)}"] if flags else []
    parts += [f"unexpected argument {value!r}" for value in values]
    return f"{'; '.join(parts)}. --help lists the options."


class CommandParser(argparse.ArgumentParser):
    """A subcommand's parser: a bad option is one `error:` line (argparse would print its usage first and exit), and
    a flag must be spelt out (`--out` for `--output` is refused, as in every command)."""

    def __init__(self, **kwargs):
        super().__init__(allow_abbrev=False, **kwargs)

    def error(self, message: str):
        raise ConfigError(f"{message}. --help lists the options.")

    def parse_args(self, args=None, namespace=None):
        # Unknown flags first: `--out x.csv` is a misspelt --output, not a missing one.
        args = sys.argv[1:] if args is None else list(args)
        flags = {flag for action in self._actions for flag in action.option_strings}
        unknown = [arg for arg in args if is_flag(arg) and arg.split("=", 1)[0] not in flags]
        if unknown:
            raise ConfigError(unknown_options(unknown, flags))
        return super().parse_args(args, namespace)


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(f"{USAGE}\n\n{__doc__}")
        return
    try:
        if argv[0] not in COMMANDS:
            raise ConfigError(f"Unknown command {argv[0]!r}; the commands are {', '.join(COMMANDS)}.")
        command = importlib.import_module(f".{COMMANDS[argv[0]]}", __package__)
        command.main(argv[1:], prog=f"seqclf-hf {argv[0]}")
    except UserInputError as error:  # the message already says what to fix; a traceback would bury it
        sys.exit(f"error: {error}")
    except TrainingInterrupted as stopped:
        print(stopped, file=sys.stderr)
        sys.exit(130)  # the shell's code for "ended by Ctrl-C"


def run_command(command: str) -> None:
    """`python -m seqclf_hf.COMMAND ...` as `seqclf-hf COMMAND ...`: the same usage and the same error handling."""
    main([command, *sys.argv[1:]])


if __name__ == "__main__":
    main()
