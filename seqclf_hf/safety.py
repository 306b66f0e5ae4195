"""Guards that keep a run from losing work: output_dir checks before training, a checkpoint on Ctrl-C."""

import logging
import shutil
import signal
from pathlib import Path

import torch
from transformers import TrainerCallback, TrainingArguments
from transformers.trainer_utils import get_last_checkpoint

from .errors import ConfigError

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


def prepare_output_dir(training_args: TrainingArguments, overwrite: bool) -> str | None:
    """Refuse to overwrite an earlier run by accident, and fail now if output_dir cannot be written.

    Returns the checkpoint to resume from, if any.
    """
    output_dir = Path(training_args.output_dir)
    resume = resolve_resume(training_args)
    if output_dir.is_dir() and any(output_dir.iterdir()) and not (resume or overwrite):
        raise ConfigError(
            f"output_dir {str(output_dir)!r} already holds a run. Pass --resume_from_checkpoint auto to continue it, "
            "--overwrite_output_dir true to replace it, or another --output_dir."
        )
    if overwrite and not resume and output_dir.is_dir():
        shutil.rmtree(output_dir)
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
        probe = output_dir / ".write_test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as error:
        raise ConfigError(
            f"Cannot write to output_dir {str(output_dir)!r} ({error}). Choose a writable folder."
        ) from error
    return resume


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


def check_mixed_precision(training_args: TrainingArguments) -> None:
    if training_args.fp16 and not torch.cuda.is_available():
        raise ConfigError("--fp16 needs a CUDA GPU and none is visible. Drop --fp16 to train in float32 on the CPU.")


class SaveOnInterrupt(TrainerCallback):
    """On Ctrl-C (SIGINT), finish the current step, save a checkpoint and stop, instead of dying mid-step."""

    def __init__(self):
        self.interrupted = False
        self._previous_handler = None

    def _handle(self, signum, frame):
        if self.interrupted:  # a second Ctrl-C means "stop now"
            raise KeyboardInterrupt
        logger.warning("Interrupted: saving a checkpoint after this step (Ctrl-C again to stop at once).")
        self.interrupted = True

    def on_train_begin(self, args, state, control, **kwargs):
        self._previous_handler = signal.signal(signal.SIGINT, self._handle)

    def on_step_end(self, args, state, control, **kwargs):
        if self.interrupted:
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_train_end(self, args, state, control, **kwargs):
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
