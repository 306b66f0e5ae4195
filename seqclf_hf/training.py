"""The training run behind recipes/train.py: data -> tokenizer -> model -> Trainer -> output_dir."""

import dataclasses
import json
import logging
import resource
from pathlib import Path

import torch
from transformers import DataCollatorWithPadding, Trainer, TrainingArguments, set_seed

from .arguments import DataArguments, ModelArguments, PeftArguments, RunArguments
from .build import build_model, build_tokenizer
from .data import LengthBucketSampler, load_data, tokenize
from .hub import METRICS_FILE, RUN_ARGS_FILE, push_output_dir, write_model_card
from .inference import classification_pipeline
from .metrics import ClassificationReport, trainer_metrics
from .peft_setup import apply_peft, save_peft_outputs
from .plots import plot_confusion_matrix, plot_training_curve
from .safety import (
    OutputPlan,
    SaveOnInterrupt,
    check_disk_space,
    discard_if_empty,
    open_output_dir,
    plan_output_dir,
    publish,
)
from .validation import check_sampling, validate_options

logger = logging.getLogger(__name__)

SPLIT_PREFIXES = {"train": "train", "validation": "eval", "test": "test"}  # the Trainer's metric prefixes


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


def evaluate_split(trainer: Trainer, dataset, split: str, labels: list[str]) -> dict:
    """Loss, accuracy, macro-F1, per-class scores and confusion matrix, keyed with the Trainer's prefix."""
    prediction = trainer.predict(dataset, metric_key_prefix=split)
    report = ClassificationReport().compute(
        predictions=prediction.predictions.argmax(-1), references=prediction.label_ids, label_names=labels
    )
    metrics = dict(prediction.metrics)
    metrics.update({f"{split}_{name}": value for name, value in report.items()})
    return metrics


def run_arguments(model_args, data_args, training_args, peft_args) -> dict:
    """The run's options as JSON (TrainingArguments.to_dict() blanks every token), for the model card."""
    return {
        "model": dataclasses.asdict(model_args),
        "data": dataclasses.asdict(data_args),
        "training": training_args.to_dict(),
        "peft": dataclasses.asdict(peft_args),
    }


def write_outputs(output_dir: Path, metrics: dict, log_history: list[dict], labels: list[str], run_args: dict) -> None:
    (output_dir / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n")
    (output_dir / RUN_ARGS_FILE).write_text(json.dumps(run_args, indent=2, default=str) + "\n")
    plot_training_curve(log_history, output_dir / "training_curve.png")
    for split in ("eval", "test"):
        if f"{split}_confusion_matrix" in metrics:
            title = f"{'validation' if split == 'eval' else split} accuracy {metrics[f'{split}_accuracy']:.3f}"
            plot_confusion_matrix(
                metrics[f"{split}_confusion_matrix"], labels, output_dir / f"confusion_{split}.png", title
            )


def batch_settings(training_args: TrainingArguments) -> dict:
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


def prepare_data(model_args: ModelArguments, data_args: DataArguments, training_args: TrainingArguments):
    """(untokenized splits, label names, tokenizer, tokenized splits)."""
    # The first process of each machine loads, converts and tokenizes; the others wait, then read what it left in
    # datasets' cache instead of doing it again (files only: a TREC .label file is read into memory by each one).
    with training_args.main_process_first(desc="loading and tokenizing"):
        raw = load_data(data_args)
        labels = raw["train"].features["label"].names
        tokenizer = build_tokenizer(model_args, raw["train"]["text"])
        # Saved with the model, so pipeline() truncates exactly as training did.
        tokenizer.model_max_length = min(tokenizer.model_max_length, data_args.max_seq_length)
        tokenized = tokenize(raw, tokenizer, data_args.max_seq_length)
    return raw, labels, tokenizer, tokenized


class RecipeTrainer(Trainer):
    """The Trainer, able to batch by length buckets (--length_buckets)."""

    def __init__(self, *args, length_buckets: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        check_sampling(length_buckets, self.args)
        self.length_buckets = length_buckets

    def _get_train_sampler(self, train_dataset=None):
        if not self.length_buckets:
            return super()._get_train_sampler(train_dataset)
        dataset = train_dataset if train_dataset is not None else self.train_dataset
        lengths = [len(ids) for ids in dataset["input_ids"]]
        return LengthBucketSampler(lengths, self.args.train_batch_size, self.args.seed)


def make_trainer(
    training_args, tokenized, tokenizer, labels, length_buckets: bool = False, **model_and_callbacks
) -> RecipeTrainer:
    """The recipe's Trainer on the train / validation splits; `model=` or `model_init=` (search), `callbacks=`."""
    return RecipeTrainer(
        # Pushing is done once, at the end, by push_output_dir: the Trainer's own push would upload pickles
        # (training_args.bin) and replace the model card.
        args=dataclasses.replace(training_args, push_to_hub=False),
        train_dataset=tokenized["train"],
        eval_dataset=tokenized["validation"],
        processing_class=tokenizer,
        data_collator=DataCollatorWithPadding(tokenizer),
        compute_metrics=trainer_metrics(labels),
        length_buckets=length_buckets,
        **model_and_callbacks,
    )


class TrainingInterrupted(Exception):
    """Ctrl-C stopped training after a checkpoint was saved."""


def train(
    model_args: ModelArguments,
    data_args: DataArguments,
    training_args: TrainingArguments,
    run_args: RunArguments | None = None,
    peft_args: PeftArguments | None = None,
):
    """Train, keep the best checkpoint by validation metric, evaluate every split, write everything to output_dir.

    Every option is checked, and the data, tokenizer and model are built, before output_dir is touched; a run that
    replaces an earlier one writes beside it and takes its place only when finished. Returns the metrics written to
    metrics.json and the untokenized splits.
    """
    run_args, peft_args = run_args or RunArguments(), peft_args or PeftArguments()
    validate_options(model_args, data_args, training_args, run_args, peft_args)
    plan = plan_output_dir(training_args, run_args.overwrite_output_dir)
    set_seed(training_args.seed)
    raw, labels, tokenizer, tokenized = prepare_data(model_args, data_args, training_args)
    model = apply_peft(build_model(model_args, tokenizer, labels), peft_args, model_args.model_family)
    trainable, total = count_parameters(model)
    logger.info(
        "%s (peft: %s): %d of %d parameters trainable (%.2f%%); labels %s",
        *(model_args.model_family, peft_args.peft, trainable, total, 100 * trainable / total, labels),
    )
    work_args = dataclasses.replace(training_args, output_dir=str(plan.work_dir))
    with work_args.main_process_first(desc="creating output_dir"):  # one process creates it, the others see it
        if work_args.process_index == 0:
            open_output_dir(plan)
    try:
        check_disk_space(work_args, model)
        trainer, metrics = fit(work_args, tokenized, tokenizer, labels, model, data_args.length_buckets, plan.resume)
    except BaseException:
        discard_if_empty(plan)
        raise
    metrics.update({"labels": labels, "trainable_parameters": trainable, "parameters": total})
    scores = score_splits(trainer, tokenized, labels, run_args.max_train_eval_samples)
    # train_loss / train_runtime from training itself stay; scoring the train split adds its accuracy and report.
    metrics.update({key: value for key, value in scores.items() if key not in metrics})
    if trainer.is_world_process_zero():
        arguments = run_arguments(model_args, data_args, training_args, peft_args)
        save_run(trainer, tokenizer, metrics, arguments, peft_args.merge_lora, plan)
    return metrics, raw


def fit(training_args, tokenized, tokenizer, labels, model, length_buckets: bool, resume: str | None):
    """Train (from `resume` when given) and save the best model; returns the trainer and the training metrics."""
    batch = batch_settings(training_args)
    logger.info(
        "Effective batch %(effective_batch_size)d = %(per_device_train_batch_size)d per device x %(world_size)d "
        "process(es) x %(gradient_accumulation_steps)d accumulation step(s); learning rate %(learning_rate)g",
        batch,
    )
    trainer = make_trainer(
        training_args,
        tokenized,
        tokenizer,
        labels,
        length_buckets=length_buckets,
        model=model,
        callbacks=[interrupt := SaveOnInterrupt()],
    )
    train_result = trainer.train(resume_from_checkpoint=resume)
    if interrupt.interrupted:
        raise TrainingInterrupted(
            f"Training interrupted; a checkpoint is in {training_args.output_dir}. "
            "Continue with --resume_from_checkpoint auto."
        )
    save_full_model(trainer)
    metrics = {
        **train_result.metrics,
        **batch,
        "global_step": trainer.state.global_step,
        # Linux reports kilobytes: the most resident memory this process has held, data and model included.
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if torch.cuda.is_available():  # this process's GPU: what bf16 and FSDP are there to save
        metrics["peak_gpu_memory_mb"] = torch.cuda.max_memory_allocated() / 2**20
    return trainer, metrics


def score_splits(trainer: Trainer, tokenized, labels: list[str], max_train_eval_samples: int) -> dict:
    """Metrics of every split; the train split on a random sample of at most `max_train_eval_samples` (0: skipped),
    since scoring all of it again can take longer than training did."""
    metrics = {}
    for split, prefix in SPLIT_PREFIXES.items():
        if split not in tokenized:
            continue
        dataset = tokenized[split]
        metrics[f"{prefix}_samples"] = len(dataset)
        if split == "train":
            if max_train_eval_samples == 0:
                continue
            if max_train_eval_samples < len(dataset):
                dataset = dataset.shuffle(seed=trainer.args.seed).select(range(max_train_eval_samples))
                logger.info(
                    "Scoring the train split on a random %d of its %d examples (--max_train_eval_samples).",
                    *(len(dataset), metrics["train_samples"]),
                )
            metrics["train_scored_samples"] = len(dataset)
        metrics.update(evaluate_split(trainer, dataset, prefix, labels))
    return metrics


def save_full_model(trainer: Trainer) -> None:
    """The best checkpoint (load_best_model_at_end), its tokenizer and, for custom families, code, in output_dir.

    Under FSDP with SHARDED_STATE_DICT (fsdp.yaml: every process writes its own shard, fast and small, for the
    checkpoints) the Trainer saves no model.safetensors at all; switching to FULL_STATE_DICT first makes every
    process join in gathering the whole state dict, which the main process writes as usual.
    """
    if trainer.is_fsdp_enabled:
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model()


def save_run(trainer: Trainer, tokenizer, metrics: dict, arguments: dict, merge_lora: bool, plan: OutputPlan) -> None:
    """Everything but the model itself (already saved): peft extras, metrics, plots, card; then the swap into
    output_dir, and the push if asked."""
    training_args = trainer.args
    work_dir = training_args.output_dir
    save_peft_outputs(trainer.model, tokenizer, work_dir, merge_lora)
    write_outputs(Path(work_dir), metrics, trainer.state.log_history, metrics["labels"], arguments)
    write_model_card(work_dir, arguments["training"]["hub_model_id"] or plan.output_dir.resolve().name)
    publish(plan)
    if arguments["training"]["push_to_hub"]:  # trainer.args has it off: see the Trainer construction
        url = push_output_dir(plan.output_dir, training_args.hub_model_id, training_args.hub_private_repo)
        logger.info("Pushed to %s", url)


def print_summary(output_dir: str, metrics: dict, texts: list[str], labels: list[str]) -> None:
    """Accuracy per split, a few predictions made through `pipeline` from what was saved, and where it is.

    `labels` are the texts' true labels, shown next to the predictions so a wrong one stands out.
    """
    print("\nsplit        accuracy  macro-F1")
    for prefix, name in (("train", "train"), ("eval", "validation"), ("test", "test")):
        if f"{prefix}_accuracy" in metrics:
            print(f"{name:<12} {metrics[f'{prefix}_accuracy']:>8.4f}  {metrics[f'{prefix}_macro_f1']:>8.4f}")
    classifier = classification_pipeline(output_dir)
    print("\nPredictions of the saved model (pipeline) on held-out texts:")
    print(f"  {'predicted':<12} {'true':<6} {'right':<5}  text")
    for text, label, prediction in zip(texts, labels, classifier(texts), strict=True):
        right = "yes" if prediction["label"] == label else "no"
        print(f"  {prediction['label']:<6} {prediction['score']:.2f}  {label:<6} {right:<5}  {text}")
    print(f"\nModel, tokenizer, code, {METRICS_FILE} and plots saved to {Path(output_dir).resolve()}")
