"""The `seqclf-hf` command: train, search, push, predict, export and demo from an installed package.

seqclf-hf train --model lstm --train_file train_5500.label     # same options as python recipes/train.py
seqclf-hf search --model cnn --train_file train_5500.label --n_trials 20
seqclf-hf push outputs/lstm your-name/trec-lstm
seqclf-hf predict outputs/lstm new_questions.csv --output preds.csv
seqclf-hf export outputs/lstm --onnx --int8                       # ONNX (+ int8) for onnxruntime
seqclf-hf space                                               # the Gradio demo, from a clone
accelerate launch -m seqclf_hf.cli train --model lstm ...     # several processes
"""

import logging
import subprocess
import sys
from pathlib import Path

import transformers

from . import export, predict, push, search
from .data import label_texts, texts_of
from .errors import ConfigError, UserInputError
from .recipe_args import parse_args
from .training import TrainingInterrupted, print_summary, train

SPACE_APP = Path(__file__).resolve().parents[1] / "space" / "app.py"


def train_command(argv: list[str]) -> None:
    model_args, data_args, training_args, run_args, peft_args = parse_args(argv)
    # With several processes only the main one reports; the others speak up for warnings.
    level = logging.INFO if training_args.process_index == 0 else logging.WARNING
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=level)
    transformers.logging.set_verbosity_warning()
    metrics, splits = train(model_args, data_args, training_args, run_args, peft_args)
    if training_args.process_index == 0:
        held_out = (splits["test"] if "test" in splits else splits["validation"]).select(range(5))
        print_summary(
            training_args.output_dir,
            metrics,
            texts_of(held_out),
            label_texts(held_out),
            run_args.multi_label_threshold,
        )


def push_command(argv: list[str]) -> None:
    push.main(argv, prog="seqclf-hf push")


def space_command(argv: list[str]) -> None:
    """The Gradio demo lives in the repository (space/), not in the package."""
    if not SPACE_APP.is_file():
        raise ConfigError(
            "seqclf-hf space runs space/app.py from a clone of the repository, and this install has none: "
            "git clone the seqclf-hf repository, pip install -e '.[space]' in it, then run seqclf-hf space."
        )
    sys.exit(subprocess.call([sys.executable, str(SPACE_APP), *argv]))


def predict_command(argv: list[str]) -> None:
    predict.main(argv, prog="seqclf-hf predict")


COMMANDS = {
    "train": train_command,
    "search": search.main,
    "push": push_command,
    "predict": predict_command,
    "export": export.main,
    "space": space_command,
}
USAGE = f"usage: seqclf-hf {{{','.join(COMMANDS)}}} [options]   (seqclf-hf COMMAND --help: its options)"


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in ("-h", "--help"):
        print(f"{USAGE}\n\n{__doc__}")
        return
    command = COMMANDS.get(argv[0])
    try:
        if command is None:
            raise ConfigError(f"Unknown command {argv[0]!r}; the commands are {', '.join(COMMANDS)}.")
        command(argv[1:])
    except UserInputError as error:  # the message already says what to fix; a traceback would bury it
        sys.exit(f"error: {error}")
    except TrainingInterrupted as stopped:
        print(stopped, file=sys.stderr)
        sys.exit(130)  # the shell's code for "ended by Ctrl-C"


if __name__ == "__main__":
    main()
