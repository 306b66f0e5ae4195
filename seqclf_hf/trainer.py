"""The recipe's Trainer and what it needs beyond transformers': batches by length, class weights in the loss, a
checkpoint on Ctrl-C."""

import contextlib
import dataclasses
import logging
import math
import signal

import numpy as np
import torch
from datasets import Dataset
from torch.utils.data import Sampler
from transformers import DataCollatorWithPadding, EvalPrediction, Trainer, TrainerCallback

from .arguments import DistillArguments
from .distillation import HAS_GOLD, TEACHER_SCORES, distillation_loss
from .errors import DataError
from .metrics import trainer_metrics
from .tasks import ProblemType, spec
from .validation import parse_class_weights
from .windows import Windows

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Task:
    """What the model predicts: transformers' problem type, the output names, the multi-label decision threshold."""

    problem_type: str
    labels: list[str]
    threshold: float = 0.5
    class_weights: list[float] | None = None

    def report(self, logits, references) -> dict:
        return spec(self.problem_type).report(logits, references, self.labels, self.threshold)


def batch_settings(training_args) -> dict:
    """What one optimizer step sees, the same way whatever the number of processes, so runs compare."""
    return {
        "per_device_train_batch_size": training_args.per_device_train_batch_size,
        "world_size": training_args.world_size,
        "gradient_accumulation_steps": training_args.gradient_accumulation_steps,
        "effective_batch_size": training_args.per_device_train_batch_size
        * training_args.world_size
        * training_args.gradient_accumulation_steps,
        "learning_rate": training_args.learning_rate,
    }


def enough_epochs(training_args, train_size: int, min_steps: int):
    """`training_args` with more epochs when theirs make fewer than `min_steps` optimizer steps over `train_size`
    examples (--min_train_steps); as they are with --max_steps."""
    if not min_steps or training_args.max_steps > 0:
        return training_args
    steps_per_epoch = max(math.ceil(train_size / batch_settings(training_args)["effective_batch_size"]), 1)
    planned = training_args.num_train_epochs * steps_per_epoch
    if planned >= min_steps:
        return training_args
    epochs = math.ceil(min_steps / steps_per_epoch)
    logger.info(
        "%d training examples make %d optimizer step(s) an epoch: %g epochs would be %d steps, fewer than "
        "--min_train_steps %d; training %d epochs (give --num_train_epochs to keep your count).",
        *(train_size, steps_per_epoch, training_args.num_train_epochs, planned, min_steps, epochs),
    )
    return dataclasses.replace(training_args, num_train_epochs=epochs)


class RecipeTrainer(Trainer):
    """The Trainer, able to batch by length buckets (--length_buckets), to weigh classes in the loss
    (--class_weights) and to score the windows of chunked texts per text (--long_text chunk): here rather than in the
    models, so pretrained encoders and adapters get them too."""

    def __init__(
        self,
        *args,
        length_buckets: bool = False,
        class_weights: list[float] | None = None,
        windows: Windows | None = None,
        distill: tuple[DistillArguments, str] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.length_buckets, self.class_weights, self.windows = length_buckets, class_weights, windows
        self.distill = distill  # (options, problem type) when training on a teacher's scores
        # --long_text chunk: the rows scored are windows; metrics, and the best checkpoint, are per text.
        self.text_ids = None  # the text of each row of the split being scored
        if windows is not None and self.compute_metrics is not None:
            per_window = self.compute_metrics
            self.compute_metrics = lambda prediction: per_window(
                EvalPrediction(*self.per_text(prediction.predictions, prediction.label_ids))
            )

    def per_text(self, logits, label_ids):
        """Windows' logits and labels as one row per text: its windows' logits aggregated, its label (the same in
        each of its windows) once."""
        if self.text_ids is None:
            return logits, label_ids
        texts, first_rows, owners = np.unique(self.text_ids, return_index=True, return_inverse=True)
        logits = self.windows.aggregate(logits, owners.tolist(), len(texts))
        return logits, None if label_ids is None else label_ids[first_rows]

    @contextlib.contextmanager
    def scoring(self, dataset):
        """Within: the rows scored are `dataset`'s, whose `text_id` column (chunked splits) groups them by text."""
        columns = getattr(dataset, "column_names", ())
        self.text_ids = np.asarray(dataset["text_id"]) if self.windows is not None and "text_id" in columns else None
        try:
            yield
        finally:
            self.text_ids = None

    def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix="eval"):
        with self.scoring(self.eval_dataset if eval_dataset is None else eval_dataset):
            return super().evaluate(eval_dataset, ignore_keys, metric_key_prefix)

    def predict(self, test_dataset, ignore_keys=None, metric_key_prefix="test"):
        with self.scoring(test_dataset):
            output = super().predict(test_dataset, ignore_keys, metric_key_prefix)
            logits, label_ids = self.per_text(output.predictions, output.label_ids)
        return output._replace(predictions=logits, label_ids=label_ids)

    def _set_signature_columns_if_needed(self):
        """The teacher's scores must reach compute_loss: the Trainer drops the columns forward() does not take."""
        super()._set_signature_columns_if_needed()
        if self.distill is not None:
            self._signature_columns += [TEACHER_SCORES, HAS_GOLD]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        if self.distill is not None and TEACHER_SCORES in inputs:  # a transfer batch (evaluation has no scores)
            return self.distillation_step(model, inputs, return_outputs)
        if self.class_weights is None or "labels" not in inputs:
            return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
        labels = inputs.pop("labels")
        outputs = model(**inputs)
        weight = torch.tensor(self.class_weights, dtype=outputs.logits.dtype, device=outputs.logits.device)
        loss = torch.nn.functional.cross_entropy(outputs.logits, labels, weight=weight)
        return (loss, outputs) if return_outputs else loss

    def distillation_step(self, model, inputs, return_outputs: bool):
        targets = {name: inputs.pop(name) for name in (TEACHER_SCORES, HAS_GOLD, "labels")}
        outputs = model(**inputs)
        options, problem_type = self.distill
        loss = distillation_loss(outputs.logits, targets, options, problem_type, self.class_weights)
        return (loss, outputs) if return_outputs else loss

    def _get_train_sampler(self, train_dataset=None):
        if not self.length_buckets:
            return super()._get_train_sampler(train_dataset)
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        lengths = [len(ids) for ids in dataset["input_ids"]]
        return LengthBucketSampler(lengths, self.args.train_batch_size, self.args.seed)


def make_trainer(
    training_args,
    tokenized,
    tokenizer,
    task: Task,
    length_buckets: bool = False,
    windows: Windows | None = None,
    distill: DistillArguments | None = None,
    **model_and_callbacks,
) -> RecipeTrainer:
    """The recipe's Trainer on the train / validation splits for `task` (chunked splits: scored per text with
    `windows`); `model=` or `model_init=` (search), `callbacks=`; `distill`: the train split is a transfer set
    (distillation.py) and the loss mixes in the teacher."""
    return RecipeTrainer(
        # Pushing is done once, at the end, by push_output_dir: the Trainer's own push would upload pickles
        # (training_args.bin) and replace the model card.
        args=dataclasses.replace(training_args, push_to_hub=False),
        train_dataset=tokenized["train"],
        eval_dataset=tokenized["validation"],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=trainer_metrics(task.labels, task.problem_type, task.threshold),
        length_buckets=length_buckets,
        class_weights=task.class_weights,
        windows=windows,
        distill=None if distill is None else (distill, task.problem_type),
        **model_and_callbacks,
    )


class LengthBucketSampler(Sampler[int]):
    """Indices whose consecutive `batch_size` slices are texts of similar length, the batches in random order.

    Each epoch shuffles the examples, sorts groups of `batches_per_group` batches by length, cuts them into batches
    and shuffles the batches. The Trainer's group_by_length stops after the sorting, so each group's batches run
    from the longest texts to the shortest, and on TREC length follows the class.
    """

    def __init__(self, lengths: list[int], batch_size: int, seed: int, batches_per_group: int = 50):
        self.lengths, self.batch_size, self.seed = lengths, batch_size, seed
        self.group_size = batch_size * batches_per_group
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Called by the Trainer each epoch: every process of a distributed run draws the same order."""
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.lengths)

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(len(self.lengths), generator=generator).tolist()
        by_length = []
        for start in range(0, len(order), self.group_size):
            by_length += sorted(order[start : start + self.group_size], key=self.lengths.__getitem__)
        batches = [by_length[start : start + self.batch_size] for start in range(0, len(by_length), self.batch_size)]
        # A short batch stays last: anywhere else, every batch after it would straddle two lengths.
        short = [batches.pop()] if len(batches[-1]) < self.batch_size else []
        shuffled = [batches[i] for i in torch.randperm(len(batches), generator=generator).tolist()]
        return iter([index for batch in shuffled + short for index in batch])


def class_counts(train: Dataset) -> np.ndarray:
    """The texts of each class of a single-label split, in label order."""
    return np.bincount(np.asarray(train["label"]), minlength=train.features["label"].num_classes)


def class_weights(option: str | None, train: Dataset, problem_type: str) -> list[float] | None:
    """One loss weight per class for --class_weights: given, or (auto) the inverse of each class's frequency in the
    training split, scaled so that a balanced split gets 1 everywhere."""
    if not option:
        return None
    if option == "auto" and problem_type != ProblemType.SINGLE_LABEL:
        # `auto` set once in a YAML config (or a script's options) must still train on multi-label or regression data.
        logger.info(
            "--class_weights auto weighs single-label classes only; this %s run trains unweighted.", problem_type
        )
        return None
    if problem_type != ProblemType.SINGLE_LABEL:
        raise DataError(f"--class_weights weighs the classes of a single-label run; this one is {problem_type}.")
    names = train.features["label"].names
    if option == "auto":
        return (len(train) / (len(names) * class_counts(train))).tolist()
    weights = parse_class_weights(option)
    if len(weights) != len(names):
        raise DataError(
            f"--class_weights gives {len(weights)} weights for {len(names)} labels ({names}): give one per label, "
            "in that order, or auto."
        )
    return weights


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
