"""The output folder of a run: checked before anything is written, opened, and published (write beside, then swap)."""

import json
import logging
import os
import shutil
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from transformers import AutoTokenizer, TrainingArguments
from transformers.trainer import TRAINER_STATE_NAME
from transformers.trainer_utils import get_last_checkpoint

from .errors import ConfigError, first_line
from .run_layout import CONFIG_FILE, INCOMPLETE_SUFFIX, REPLACED_SUFFIX, beside

logger = logging.getLogger(__name__)

# weights + Adam's two moments in each checkpoint, and the final model besides.
CHECKPOINT_BYTES_PER_PARAMETER = 3 * 4


def resolve_resume(training_args: TrainingArguments) -> str | None:
    """`--resume_from_checkpoint auto` means the newest checkpoint in output_dir, or a fresh start if none."""
    resume = training_args.resume_from_checkpoint
    if resume != "auto":
        return resume
    output_dir = Path(training_args.output_dir)
    return get_last_checkpoint(str(output_dir)) if output_dir.is_dir() else None


def check_checkpoint(path: str) -> None:
    """A checkpoint to resume from must be whole: its trainer state readable, its weight files intact."""
    folder = Path(path)
    advice = "Resume from another checkpoint-N folder of the run, or start again with --overwrite_output_dir true."
    if not folder.is_dir():
        raise ConfigError(f"--resume_from_checkpoint {path!r} is not a folder. Give a checkpoint-N folder, or auto.")
    try:
        json.loads((folder / TRAINER_STATE_NAME).read_text())
    except (OSError, ValueError) as error:
        raise ConfigError(
            f"{path} is not a whole checkpoint: its {TRAINER_STATE_NAME} is unreadable ({error}). {advice}"
        ) from error
    for weights in folder.glob("*.safetensors"):
        try:
            with safe_open(weights, "pt") as tensors:
                tensors.keys()
        except (OSError, SafetensorError) as error:
            raise ConfigError(f"{weights} is damaged ({error}). {advice}") from error


def check_resume_fits(checkpoint: str, model, tokenizer) -> None:
    """A checkpoint is resumed only by a run of its kind: the same family, labels and tokenizer. Another family or
    tokenizer fails deep in the Trainer with a traceback; other labels of the same number train on silently, every
    class under another's name."""
    folder, config = Path(checkpoint), model.config
    advice = "Resume with the options it was made with, or start again with --overwrite_output_dir true."
    saved = json.loads((folder / CONFIG_FILE).read_text()) if (folder / CONFIG_FILE).is_file() else {}
    if saved and saved.get("model_type") != config.model_type:
        raise ConfigError(
            f"{checkpoint} was made by a {saved.get('model_type')} model; this run builds a {config.model_type}. "
            f"{advice}"
        )
    labels = [config.id2label[index] for index in sorted(config.id2label)]
    saved_labels = [
        label for _, label in sorted((int(key), label) for key, label in saved.get("id2label", {}).items())
    ]
    if saved and saved_labels != labels:
        raise ConfigError(f"{checkpoint} was made for the labels {saved_labels}; this run has {labels}. {advice}")
    if (
        any(folder.glob("tokenizer*.json"))
        and AutoTokenizer.from_pretrained(folder).get_vocab() != tokenizer.get_vocab()
    ):
        raise ConfigError(
            f"{checkpoint} was made with another tokenizer (another vocabulary) than this run's. {advice}"
        )


@dataclass
class OutputPlan:
    """Where a run writes (`work_dir`) and where its result must end up (`output_dir`).

    A run that replaces an earlier one (--overwrite_output_dir) writes beside it, in `<output_dir>.incomplete`, and
    only a finished run takes the earlier one's place: a run that fails or is stopped leaves the earlier one as it was.
    """

    output_dir: Path
    work_dir: Path
    resume: str | None
    created: bool = False

    @property
    def replaces(self) -> bool:
        return self.work_dir != self.output_dir


def holds_files(path: Path) -> bool:
    return path.is_dir() and any(path.iterdir())


def plan_output_dir(training_args: TrainingArguments, overwrite: bool) -> OutputPlan:
    """Refuse to overwrite an earlier run by accident, and refuse a folder that cannot be written; touch nothing."""
    output_dir = Path(training_args.output_dir)
    incomplete = beside(output_dir, INCOMPLETE_SUFFIX)
    if training_args.resume_from_checkpoint == "auto" and incomplete.is_dir() and get_last_checkpoint(incomplete):
        # A replacing run was stopped: it goes on beside the earlier run, which it still has to replace.
        resume = get_last_checkpoint(str(incomplete))
        check_checkpoint(resume)
        return OutputPlan(output_dir, incomplete, resume)
    resume = resolve_resume(training_args)
    if holds_files(output_dir) and not (resume or overwrite):
        raise ConfigError(
            f"output_dir {str(output_dir)!r} already holds a run. Pass --resume_from_checkpoint auto to continue it, "
            "--overwrite_output_dir true to replace it, or another --output_dir."
        )
    if resume:
        check_checkpoint(resume)
    replaces = overwrite and not resume and holds_files(output_dir)
    work_dir = incomplete if replaces else output_dir
    check_writable(output_dir)
    return OutputPlan(output_dir, work_dir, resume)


def check_writable(output_dir: Path) -> None:
    """The folder, or the nearest of its parents that exists, must be a folder this process can write into."""
    existing = next(path for path in (output_dir, *output_dir.absolute().parents) if path.exists())
    if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"Cannot write to output_dir {str(output_dir)!r} ({existing} is not a writable folder). Choose a "
            "writable folder."
        )


def open_output_dir(plan: OutputPlan) -> None:
    """Create the folder the run writes to, once the options, data and model have passed every check."""
    if plan.replaces and not plan.resume and plan.work_dir.exists():
        logger.warning("Removing %s, left by an earlier replacing run that did not finish.", plan.work_dir)
        shutil.rmtree(plan.work_dir)
    plan.created = not plan.work_dir.exists()
    try:
        plan.work_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ConfigError(
            f"Cannot write to output_dir {str(plan.output_dir)!r} ({error}). Choose a writable folder."
        ) from error


def discard_if_empty(plan: OutputPlan) -> None:
    """After a failed run: remove the folder it created if it holds nothing, so a typo leaves no trace."""
    if plan.created and plan.work_dir.is_dir() and not any(plan.work_dir.iterdir()):
        plan.work_dir.rmdir()


def publish(plan: OutputPlan) -> None:
    """Put a finished replacing run in the place of the earlier one, which goes only once the new one is whole."""
    if not plan.replaces:
        return
    previous = beside(plan.output_dir, REPLACED_SUFFIX)
    if previous.exists():
        shutil.rmtree(previous)
    plan.output_dir.rename(previous)
    plan.work_dir.rename(plan.output_dir)
    shutil.rmtree(previous)


def stopped_message(plan: OutputPlan, error: OSError) -> str:
    """What failed, that an earlier run is whole, and how to go on: from a checkpoint if one was saved."""
    earlier = f"{plan.output_dir} still holds the earlier run; " if plan.replaces else ""
    if any(plan.work_dir.glob("checkpoint-*")):
        advice = (
            f"the checkpoints saved so far are in {plan.work_dir}: fix the cause, then --resume_from_checkpoint auto "
            "continues from the last one."
        )
    else:
        advice = "no checkpoint was saved: fix the cause and run again."
    return f"The run stopped: {first_line(error)}. {earlier}{advice}"


@contextmanager
def failures_explained(plan: OutputPlan):
    """Around all that a run writes, from training to the swap: a folder it created and left empty goes, and a disk
    that fills up or a mount that goes away ends in one line saying where things stand, not in a traceback."""
    try:
        yield
    except OSError as error:
        discard_if_empty(plan)
        raise ConfigError(stopped_message(plan, error)) from error
    except BaseException:
        discard_if_empty(plan)
        raise


def check_disk_space(training_args: TrainingArguments, model: torch.nn.Module) -> None:
    """Fail before training, not at the first checkpoint an hour later, when the disk cannot hold the checkpoints."""
    parameters = sum(p.numel() for p in model.parameters())
    kept = (training_args.save_total_limit or 1) + 1
    needed = parameters * CHECKPOINT_BYTES_PER_PARAMETER * kept
    free = shutil.disk_usage(training_args.output_dir).free
    if free < needed:
        raise ConfigError(
            f"output_dir {training_args.output_dir!r} has {free / 2**20:.0f} MiB free; {kept} checkpoints of this "
            f"model need about {needed / 2**20:.0f} MiB. Free some space, choose another --output_dir, or lower "
            "--save_total_limit."
        )
