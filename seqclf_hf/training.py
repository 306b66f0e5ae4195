"""The training run behind `seqclf-hf train` (recipes/train.py): data, tokenizer, model, Trainer, output_dir."""

import dataclasses
import logging
import resource
from pathlib import Path

import datasets
import numpy as np
import torch
import transformers
from transformers import EarlyStoppingCallback, Trainer, TrainerState, TrainingArguments, set_seed
from transformers.trainer import TRAINER_STATE_NAME

from .arguments import AUTO_LENGTH, DataArguments, DistillArguments, ModelArguments, PeftArguments, RunArguments
from .build import build_model, build_tokenizer
from .data import label_texts, load_data, task_of, texts_of, tokenize
from .diagnostics import auto_length, imbalance_warning, length_summary, truncation_warning
from .distillation import prepare_distillation
from .errors import TrainingInterrupted
from .hub import push_output_dir, write_model_card
from .inference import model_max_length
from .output_dir import (
    OutputPlan,
    check_disk_space,
    check_resume_fits,
    failures_explained,
    open_output_dir,
    plan_output_dir,
    publish,
)
from .peft_setup import apply_peft, save_peft_outputs
from .recipe_parser import parse_args
from .reporting import judge_run, print_summary, run_arguments, write_outputs, write_predictions
from .run_layout import LONG_TEXT_KEY, SPLITS, THRESHOLD_KEY
from .run_lock import output_dir_lock
from .tasks import ProblemType
from .trainer import SaveOnInterrupt, Task, batch_settings, class_counts, class_weights, enough_epochs, make_trainer
from .validation import best_metric_settings, check_architecture, validate_options
from .windows import CHUNK, TRUNCATE, Windows, log_windows, window_figures, windows_of

logger = logging.getLogger(__name__)


def count_parameters(model) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


def evaluate_split(trainer: Trainer, dataset, split: str, task: Task):
    """Loss and every metric of the problem type (per class, confusion matrix), keyed with the Trainer's prefix; and
    the prediction itself."""
    prediction = trainer.predict(dataset, metric_key_prefix=split)
    metrics = dict(prediction.metrics)
    scores = task.report(prediction.predictions, prediction.label_ids)
    metrics.update({f"{split}_{name}": value for name, value in scores.items()})
    return metrics, prediction


def prepare_data(model_args: ModelArguments, data_args: DataArguments, training_args: TrainingArguments):
    """(untokenized splits, output names, tokenizer, tokenized splits, the training texts' token lengths: a
    `length_summary` whose max_seq_length is the one used, --max_seq_length auto resolved)."""
    # The first process of each machine loads, converts and tokenizes; the others wait, then read what it left in
    # datasets' cache instead of doing it again (files only: a TREC .label file is read into memory by each one).
    with training_args.main_process_first(desc="loading and tokenizing"):
        raw = load_data(data_args)
        problem_type, labels = task_of(raw["train"], data_args)
        train_split = raw["train"]
        # A tokenizer learnt from the data learns both texts of a pair.
        pairs = train_split["text_pair"] if "text_pair" in train_split.column_names else []
        tokenizer = build_tokenizer(model_args, [*train_split["text"], *pairs])
        lengths = training_lengths(model_args, data_args, tokenizer, train_split)
        data_args = dataclasses.replace(data_args, max_seq_length=lengths["max_seq_length"])
        # Saved with the model, so pipeline() truncates exactly as training did.
        tokenizer.model_max_length = min(tokenizer.model_max_length, data_args.max_seq_length)
        windows = windows_of(data_args, problem_type)
        tokenized = tokenize(raw, tokenizer, data_args.max_seq_length, windows)
    if windows is not None:
        log_windows(window_figures(tokenized, windows), data_args.max_seq_length)
    return raw, labels, tokenizer, tokenized, lengths


def training_lengths(model_args: ModelArguments, data_args: DataArguments, tokenizer, train_split) -> dict:
    """The training texts' token lengths, said before training: the length --max_seq_length auto picks, and a
    warning when a fixed length cuts more than a tenth of the texts."""
    pairs = list(train_split["text_pair"]) if "text_pair" in train_split.column_names else None
    # Whole texts, on purpose: verbose=False keeps transformers from warning that they exceed the model's limit.
    lengths = [len(ids) for ids in tokenizer(list(train_split["text"]), pairs, verbose=False)["input_ids"]]
    max_seq_length = data_args.max_seq_length
    if max_seq_length == AUTO_LENGTH:
        max_seq_length = auto_length(lengths, model_max_length(tokenizer, None))
        check_architecture(model_args, max_seq_length)  # a cnn's kernels may be wider than short texts
        logger.info("--max_seq_length auto: %d tokens, the 95th percentile of the training texts.", max_seq_length)
    summary = length_summary(lengths, max_seq_length)
    logger.info(
        "Training texts: median %.0f tokens, 95th percentile %.0f, max %d; %d of %d longer than --max_seq_length %d.",
        *(summary["train_tokens_median"], summary["train_tokens_p95"], summary["train_tokens_max"]),
        *(summary["train_texts_truncated"], len(lengths), max_seq_length),
    )
    if data_args.long_text == TRUNCATE:
        fixes = "Use --max_seq_length auto, or --long_text chunk to read every window of a long text."
        warning = truncation_warning(summary, len(lengths), fixes)
        if warning:
            logger.warning(warning)
    return summary


def warn_of_imbalance(train_split, labels: list[str]) -> None:
    """Warn, naming --class_weights auto, when one class of an unweighted single-label run dwarfs another."""
    warning = imbalance_warning(dict(zip(labels, class_counts(train_split).tolist(), strict=True)))
    if warning:
        logger.warning(warning)


def describe_task(train_split, data_args: DataArguments, run_args: RunArguments) -> Task:
    """The problem type and labels the data holds, with the run's threshold and class weights (logged)."""
    problem_type, labels = task_of(train_split, data_args)
    weights = class_weights(run_args.class_weights, train_split, problem_type)
    if weights:
        logger.info("Class weights in the loss: %s", dict(zip(labels, weights, strict=True)))
    elif problem_type == ProblemType.SINGLE_LABEL:
        warn_of_imbalance(train_split, labels)
    return Task(problem_type, labels, run_args.multi_label_threshold, weights)


def early_stopping(run_args: RunArguments) -> list:
    """transformers' EarlyStoppingCallback when asked; validate_options and best_metric_settings checked that the
    metric it watches is produced (it would silently do nothing otherwise)."""
    if not run_args.early_stopping_patience:
        return []
    return [EarlyStoppingCallback(run_args.early_stopping_patience, run_args.early_stopping_threshold)]


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
    # Held from before the folder is checked until the run is published: two runs started at once into one new
    # folder would both pass the check. The main process holds it for a distributed run's others.
    locked = output_dir_lock(training_args.output_dir, enabled=training_args.process_index == 0)
    with locked:
        return train_unlocked(model_args, data_args, training_args, run_args, peft_args)


def train_unlocked(
    model_args: ModelArguments,
    data_args: DataArguments,
    training_args: TrainingArguments,
    run_args: RunArguments,
    peft_args: PeftArguments,
):
    """`train` once its options are checked and the output folder is locked."""
    plan = plan_output_dir(training_args, run_args.overwrite_output_dir)
    set_seed(training_args.seed)
    raw, _, tokenizer, tokenized, lengths = prepare_data(model_args, data_args, training_args)
    data_args = dataclasses.replace(data_args, max_seq_length=lengths["max_seq_length"])  # auto: the length picked
    task = describe_task(raw["train"], data_args, run_args)
    with training_args.main_process_first(desc="teacher scores"):  # the others read what the first one cached
        distillation = prepare_distillation(
            run_args, data_args, raw, tokenized, tokenizer, task, training_args.seed, training_args.eval_batch_size
        )
    training_args = best_metric_settings(training_args, task.problem_type)
    train_size = len(tokenized["train"] if distillation is None else distillation.transfer)
    training_args = enough_epochs(training_args, train_size, run_args.min_train_steps)
    model = build_model(model_args, tokenizer, task.labels, task.problem_type)
    if plan.resume:
        check_resume_fits(plan.resume, model, tokenizer)
    # In config.json: predict, the Space and plain transformers users read it.
    if task.problem_type == ProblemType.MULTI_LABEL:
        setattr(model.config, THRESHOLD_KEY, task.threshold)
    windows = windows_of(data_args, task.problem_type)
    if windows is not None:  # every loader windows a text as training did
        setattr(model.config, LONG_TEXT_KEY, windows.to_config())
    model = apply_peft(model, peft_args, model_args.model_family)
    trainable, total = count_parameters(model)
    logger.info(
        "%s (peft: %s): %d of %d parameters trainable (%.2f%%); %s, labels %s",
        *(model_args.model_family, peft_args.peft, trainable, total, 100 * trainable / total),
        *(task.problem_type, task.labels),
    )
    work_args = dataclasses.replace(training_args, output_dir=str(plan.work_dir))
    with work_args.main_process_first(desc="creating output_dir"):  # one process creates it, the others see it
        if work_args.process_index == 0:
            open_output_dir(plan)
    with failures_explained(plan):
        check_disk_space(work_args, model)
        callbacks = early_stopping(run_args)
        # Distilling, the model trains on the transfer set; every split is still scored on its gold labels.
        training_splits = tokenized if distillation is None else {**tokenized, "train": distillation.transfer}
        distill = None if distillation is None else run_args
        trainer, metrics = fit(
            work_args,
            training_splits,
            tokenizer,
            task,
            model,
            data_args.length_buckets,
            plan.resume,
            callbacks,
            windows=windows,
            distill=distill,
        )
        metrics.update({"problem_type": task.problem_type, "labels": task.labels})
        metrics.update({"trainable_parameters": trainable, "parameters": total, **lengths})
        if windows is not None:
            metrics.update({"long_text": CHUNK, **window_figures(tokenized, windows)})
        split_metrics, predictions = score_splits(trainer, tokenized, task, run_args.max_train_eval_samples)
        # train_loss / train_runtime from training itself stay; scoring the train split adds its accuracy and report.
        metrics.update({key: value for key, value in split_metrics.items() if key not in metrics})
        if distillation is not None:
            metrics.update({key: value for key, value in distillation.summary.items() if key.startswith("teacher_")})
        if trainer.is_world_process_zero():
            metrics.update(judge_run(metrics, raw, task, run_args.baselines))
            arguments = {
                **run_arguments(model_args, data_args, training_args, peft_args, run_args),
                "class_weights": task.class_weights,
                "distillation": None if distillation is None else distillation.summary,
            }
            save_run(trainer, tokenizer, metrics, arguments, peft_args.merge_lora, plan, predictions)
    if trainer.is_world_process_zero() and training_args.push_to_hub:  # trainer.args has it off: see make_trainer
        url = push_output_dir(plan.output_dir, training_args.hub_model_id, training_args.hub_private_repo)
        logger.info("Pushed to %s", url)
    return metrics, raw


def fit(
    training_args,
    tokenized,
    tokenizer,
    task: Task,
    model,
    length_buckets: bool,
    resume: str | None,
    callbacks=(),
    windows: Windows | None = None,
    distill: DistillArguments | None = None,
):
    """Train (from `resume` when given) and save the best model; returns the trainer and the training metrics.
    `distill`: the train split is a transfer set with the teachers' scores (distillation.py)."""
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
        task,
        length_buckets=length_buckets,
        windows=windows,
        distill=distill,
        model=model,
        callbacks=[interrupt := SaveOnInterrupt(), *callbacks],
    )
    if resume:  # say so: a silent fresh start would otherwise look just like a resumed run
        step = TrainerState.load_from_json(str(Path(resume) / TRAINER_STATE_NAME)).global_step
        logger.info("Resuming from checkpoint %s (step %d).", resume, step)
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


def score_splits(trainer: Trainer, tokenized, task: Task, max_train_eval_samples: int) -> tuple[dict, dict]:
    """Metrics of every split, and its predictions by prefix; the train split on a random sample of at most
    `max_train_eval_samples` texts (0: skipped), since scoring all of it again can take longer than training did."""
    metrics, predictions = {}, {}
    for split in SPLITS:
        if split.name not in tokenized:
            continue
        prefix, dataset = split.prefix, tokenized[split.name]
        metrics[f"{prefix}_samples"] = len(text_rows(dataset))
        if split.name == "train":
            if max_train_eval_samples == 0:
                continue
            if max_train_eval_samples < metrics["train_samples"]:
                dataset = sample_texts(dataset, max_train_eval_samples, trainer.args.seed)
                logger.info(
                    "Scoring the train split on a random %d of its %d examples (--max_train_eval_samples).",
                    *(max_train_eval_samples, metrics["train_samples"]),
                )
            metrics["train_scored_samples"] = len(text_rows(dataset))
        split_metrics, predictions[prefix] = evaluate_split(trainer, dataset, prefix, task)
        metrics.update(split_metrics)
    return metrics, predictions


def text_rows(dataset) -> dict[int, list[int]]:
    """The rows of each text: one each, or (a chunked split) the rows of its windows."""
    if "text_id" not in dataset.column_names:
        return {row: [row] for row in range(len(dataset))}
    rows = {}
    for row, text in enumerate(dataset["text_id"]):
        rows.setdefault(text, []).append(row)
    return rows


def sample_texts(dataset, count: int, seed: int):
    """The rows of `count` texts drawn at random (all of a chunked text's windows, so it is scored whole)."""
    texts = list(text_rows(dataset).values())
    chosen = np.random.default_rng(seed).choice(len(texts), size=count, replace=False)
    return dataset.select([row for index in sorted(chosen) for row in texts[index]])


def save_full_model(trainer: Trainer) -> None:
    """The best checkpoint (load_best_model_at_end), its tokenizer and, for custom families, code, in output_dir.

    Under FSDP with SHARDED_STATE_DICT (fsdp.yaml: every process writes its own shard, fast and small, for the
    checkpoints) the Trainer saves no model.safetensors at all; switching to FULL_STATE_DICT first makes every
    process join in gathering the whole state dict, which the main process writes as usual.
    """
    if trainer.is_fsdp_enabled:
        trainer.accelerator.state.fsdp_plugin.set_state_dict_type("FULL_STATE_DICT")
    trainer.save_model()


def save_run(
    trainer: Trainer, tokenizer, metrics: dict, arguments: dict, merge_lora: bool, plan: OutputPlan, predictions: dict
) -> None:
    """Everything but the model itself (already saved): peft extras, metrics, plots, card; then the swap into
    output_dir."""
    training_args = trainer.args
    work_dir = training_args.output_dir
    save_peft_outputs(trainer.model, tokenizer, work_dir, merge_lora)
    write_outputs(Path(work_dir), metrics, trainer.state.log_history, arguments, predictions)
    write_model_card(work_dir, arguments["training"]["hub_model_id"] or plan.output_dir.resolve().name)
    write_predictions(work_dir, arguments)
    publish(plan)


def main(argv: list[str], prog: str = "seqclf-hf train") -> None:
    """Parse the recipe's options, train, and (main process) print the summary."""
    model_args, data_args, training_args, run_args, peft_args = parse_args(argv, prog=prog)
    # With several processes only the main one reports; the others speak up for warnings.
    level = logging.INFO if training_args.process_index == 0 else logging.WARNING
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s", level=level)
    transformers.logging.set_verbosity_warning()
    if training_args.disable_tqdm:  # the datasets and save bars too (off a terminal, by default)
        datasets.disable_progress_bars()
        transformers.utils.logging.disable_progress_bar()
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
