"""Train, evaluate and save any seqclf-hf model family.

python recipes/train.py --model lstm --train_file train_5500.label
accelerate launch recipes/train.py --model bert --model_name_or_path /path/to/encoder
python recipes/train.py --config my.yaml --num_train_epochs 3   # flags override the YAML
"""

import logging
import sys
from pathlib import Path

import transformers

from seqclf_hf.cli import parse_args
from seqclf_hf.errors import UserInputError
from seqclf_hf.training import TrainingInterrupted, print_summary, train

CONFIGS_DIR = Path(__file__).parent / "configs"


def main(model_args, data_args, training_args, run_args, peft_args):
    # With several processes only the main one reports; the others speak up for warnings.
    level = logging.INFO if training_args.process_index == 0 else logging.WARNING
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=level)
    transformers.logging.set_verbosity_warning()
    metrics, splits = train(model_args, data_args, training_args, run_args, peft_args)
    if training_args.process_index == 0:
        held_out = splits["test"] if "test" in splits else splits["validation"]
        print_summary(training_args.output_dir, metrics, held_out["text"][:5])


if __name__ == "__main__":
    try:
        main(*parse_args(sys.argv[1:], CONFIGS_DIR))
    except UserInputError as error:  # the message already says what to fix; a traceback would bury it
        sys.exit(f"error: {error}")
    except TrainingInterrupted as stopped:
        print(stopped, file=sys.stderr)
        sys.exit(130)  # the shell's code for "ended by Ctrl-C"
