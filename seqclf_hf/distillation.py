"""Distilling teachers (anything `load_classifier` serves) into a student of any family, after Tang et al. 2019.

The teachers are loaded and checked against the student's task, the transfer set is built (the training split, its
augmented copies, the texts of --transfer_file), and the teachers' scores over it are computed once, before
output_dir is touched, and cached. The student then trains on `distillation_loss`: the gold-label loss where a row
has a gold label, mixed with a loss against the teachers' scores on every row.
"""

import dataclasses
import hashlib
import json
import logging
import os
import random
import time
from pathlib import Path

import datasets
import numpy as np
import torch
from datasets import Dataset
from tqdm.auto import tqdm

from .arguments import DataArguments, DistillArguments
from .data import texts_of, wanted_text_columns
from .errors import DataError, ModelSetupError, first_line
from .inference import load_classifier
from .predict import row_text
from .reader import FORMATS, file_format, read_rows, text_columns
from .tasks import ProblemType

logger = logging.getLogger(__name__)

TEACHER_SCORES = "teacher_scores"  # the transfer set's column of the teachers' (averaged) scores
HAS_GOLD = "has_gold"  # 1 where a transfer row carries its gold label (the training split), 0 elsewhere
MASK_WORD = "[MASK]"  # what Tang et al.'s masking puts in place of a word: BERT-family teachers read it as masked
WEIGHT_SUFFIXES = (".safetensors", ".onnx", ".bin")  # the files whose change makes cached scores stale
SCORING_CHUNK = 512  # texts per progress-bar step; each teacher batches them by length within it
# Tang et al.'s rules: each word masked with this probability, else replaced by a word of the training vocabulary
# with this one; and with the n-gram probability the copy is cut to a random n-gram of 1 to MAX_NGRAM words.
MASK_PROBABILITY, REPLACE_PROBABILITY, NGRAM_PROBABILITY, MAX_NGRAM = 0.1, 0.1, 0.25, 5


def cache_dir() -> Path:
    """Where teacher scores are kept: $SEQCLF_HF_CACHE (or ~/.cache/seqclf_hf), under teacher_scores/."""
    root = os.environ.get("SEQCLF_HF_CACHE") or Path.home() / ".cache" / "seqclf_hf"
    return Path(root) / "teacher_scores"


def load_teachers(paths: list[str], task) -> list:
    """The teachers' classifiers, each checked to predict the student's labels (names and order) and problem type."""
    teachers = []
    for path in paths:
        try:
            teacher = load_classifier(path)
        except Exception as error:
            raise ModelSetupError(
                f"--teacher {path}: cannot load it ({first_line(error)}). Give a run's output_dir, an adapter, a "
                "merged/ folder or an ONNX export."
            ) from error
        problem_type = ProblemType(teacher.config.problem_type or ProblemType.SINGLE_LABEL)
        if problem_type != task.problem_type:
            raise ModelSetupError(
                f"--teacher {path} is a {problem_type} model and this run is {task.problem_type}: give a teacher "
                "trained on the same task."
            )
        if problem_type != ProblemType.REGRESSION and teacher.labels != task.labels:
            raise ModelSetupError(
                f"--teacher {path} predicts the labels {teacher.labels} and this run's are {task.labels}: give a "
                "teacher trained on the same labels (in the same order)."
            )
        teachers.append(teacher)
    return teachers


def augment(texts: list, copies: int, seed: int) -> list:
    """`copies` augmented copies of each text (pairs: each text of the pair), by Tang et al.'s rules, the same for
    the same seed: words masked or replaced by a word of the texts' vocabulary, and some copies cut to an n-gram."""
    generator = random.Random(seed)
    pieces = [text if isinstance(text, tuple) else (text,) for text in texts]
    vocabulary = sorted({word for piece in pieces for part in piece for word in part.split()})
    copied = []
    for _ in range(copies):
        for piece in pieces:
            parts = tuple(augment_text(part, vocabulary, generator) for part in piece)
            copied.append(parts if len(parts) == 2 else parts[0])
    return copied


def augment_text(text: str, vocabulary: list[str], generator: random.Random) -> str:
    words = []
    for word in text.split():
        draw = generator.random()
        if draw < MASK_PROBABILITY:
            words.append(MASK_WORD)
        elif draw < MASK_PROBABILITY + REPLACE_PROBABILITY:
            words.append(generator.choice(vocabulary))
        else:
            words.append(word)
    if words and generator.random() < NGRAM_PROBABILITY:
        size = generator.randint(1, min(MAX_NGRAM, len(words)))
        start = generator.randint(0, len(words) - size)
        words = words[start : start + size]
    return " ".join(words)


def read_transfer_texts(path: str, data_args: DataArguments) -> list:
    """The texts of an unlabeled file, in any format `seqclf-hf predict` reads, from the training text column(s)."""
    if file_format(Path(path)) is None:
        raise DataError(f"--transfer_file {path}: give a {', '.join(FORMATS)} file.")
    wanted, how = wanted_text_columns(data_args)
    texts, unreadable = [], []
    for chunk in read_rows(Path(path), 1024, unreadable, data_args.file_encoding):
        names = list(dict.fromkeys(name for row in chunk for name in row))
        columns = text_columns(names, wanted, f"--transfer_file {path}", how)
        texts += [row_text(row, columns, data_args.text_column_delimiter) for row in chunk]
    texts = [text for text in texts if "".join(text).strip()]
    if not texts:
        raise DataError(f"--transfer_file {path} holds no texts. Give a file with one text per row.")
    return texts


def weight_files(path: str) -> list[tuple[str, int, int]]:
    """(file, mtime, size) of every weight file a teacher folder holds (checkpoints aside); none for a Hub id."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return []
    files = [
        file
        for file in sorted(folder.rglob("*"))
        if file.suffix in WEIGHT_SUFFIXES and not any(part.startswith("checkpoint-") for part in file.parts)
    ]
    return [(str(file.relative_to(folder)), file.stat().st_mtime_ns, file.stat().st_size) for file in files]


def cache_key(paths: list[str], texts: list) -> str:
    """What the scores depend on: the teachers (where, and their weights' times and sizes) and the texts."""
    teachers = [(str(Path(path).expanduser().resolve()), weight_files(path)) for path in paths]
    content = json.dumps({"teachers": teachers, "texts": texts}, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


def score_texts(teachers: list, texts: list, batch_size: int) -> np.ndarray:
    """(texts, labels) scores averaged over the teachers, length-ordered batches, with a progress bar."""
    order = sorted(range(len(texts)), key=lambda index: len("".join(texts[index])))
    rows = []
    # disable=None: a bar on a terminal only; in a log file it is fragments (cached_scores logs the time)
    bar = tqdm(total=len(texts) * len(teachers), desc="teacher scores", unit=" texts", disable=None)
    with bar as progress:
        for start in range(0, len(order), SCORING_CHUNK):
            chunk = [texts[index] for index in order[start : start + SCORING_CHUNK]]
            scores = []
            for teacher in teachers:
                scores.append(teacher.probabilities(chunk, batch_size))
                progress.update(len(chunk))
            rows.append(torch.stack(scores).mean(0))
    averaged = torch.cat(rows).numpy().astype(np.float32)
    return averaged[np.argsort(order)]  # back in the order of `texts`


def cached_scores(paths: list[str], teachers: list, texts: list, batch_size: int) -> np.ndarray:
    """`score_texts`, read from the cache when the same teachers scored the same texts before."""
    path = cache_dir() / f"{cache_key(paths, texts)}.npy"
    if path.is_file():
        logger.info("Teacher scores of %d texts read from the cache (%s).", len(texts), path)
        return np.load(path)
    started = time.perf_counter()
    scores = score_texts(teachers, texts, batch_size)
    logger.info(
        "Teacher scores of %d texts computed in %.1f s by %d teacher(s); cached in %s.",
        *(len(texts), time.perf_counter() - started, len(teachers), path),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.partial.npy")  # written whole, then renamed: never half a file
    np.save(partial, scores)
    partial.replace(path)
    return scores


@dataclasses.dataclass
class Distillation:
    """What training needs of the teachers: the tokenized transfer set, and what the model card says of them."""

    transfer: Dataset
    summary: dict


def placeholder_label(train: Dataset):
    """The label a row without one carries (the loss ignores it): of the training split's own shape."""
    example = train[0]["label"]
    return [0.0] * len(example) if isinstance(example, list) else type(example)(0)


def transfer_set(texts: list, gold: Dataset, scores: np.ndarray, tokenizer, max_seq_length: int) -> Dataset:
    """The tokenized transfer rows: the training split (gold labels kept) first, then the rows without one."""
    extra = len(texts) - len(gold)
    labels = [*gold["label"], *[placeholder_label(gold)] * extra]
    columns = {"label": labels, TEACHER_SCORES: scores.tolist(), HAS_GOLD: [1] * len(gold) + [0] * extra}
    firsts = [text[0] if isinstance(text, tuple) else text for text in texts]
    pairs = [text[1] for text in texts] if texts and isinstance(texts[0], tuple) else None
    encoded = tokenizer(firsts, pairs, truncation=True, max_length=max_seq_length)
    features = datasets.Features(
        {
            **{name: datasets.List(datasets.Value("int64")) for name in encoded},
            "label": gold.features["label"],
            TEACHER_SCORES: datasets.List(datasets.Value("float32")),
            HAS_GOLD: datasets.Value("int64"),
        }
    )
    return Dataset.from_dict({**encoded, **columns}, features=features)


def score_logits(scores: np.ndarray, problem_type: str) -> np.ndarray:
    """Scores as the logits `Task.report` reads: log-probabilities, log-odds, or the value itself."""
    if problem_type == ProblemType.REGRESSION:
        return scores
    clipped = np.clip(scores, 1e-7, 1 - 1e-7)
    return np.log(clipped) if problem_type == ProblemType.SINGLE_LABEL else np.log(clipped / (1 - clipped))


def teacher_metrics(paths, teachers, raw, tokenized, task, batch_size: int) -> dict:
    """The teachers' metrics on the labelled held-out splits, keyed `teacher_<prefix>_<metric>`."""
    metrics = {}
    for name, prefix in (("validation", "eval"), ("test", "test")):
        if name not in raw or "label" not in tokenized[name].column_names:
            continue
        scores = cached_scores(paths, teachers, texts_of(raw[name]), batch_size)
        report = task.report(score_logits(scores, task.problem_type), np.asarray(tokenized[name]["label"]))
        metrics |= {f"teacher_{prefix}_{metric}": value for metric, value in report.items()}
    return metrics


def prepare_distillation(
    options: DistillArguments, data_args: DataArguments, raw, tokenized, tokenizer, task, seed: int, batch_size: int
) -> Distillation | None:
    """Load and check the teachers (against `task`, the run's `trainer.Task`), build the transfer set and score
    it (cached); None without --teacher."""
    if not options.teacher:
        return None
    unlabeled = read_transfer_texts(options.transfer_file, data_args) if options.transfer_file else []
    paths = teacher_paths(options.teacher)
    teachers = load_teachers(paths, task)
    train_texts = texts_of(raw["train"])
    extra = augment(train_texts, options.augment, seed) + unlabeled
    texts = train_texts + extra
    logger.info(
        "Transfer set: %d training texts, %d augmented copies, %d from --transfer_file.",
        *(len(train_texts), len(train_texts) * options.augment, len(extra) - len(train_texts) * options.augment),
    )
    started = time.perf_counter()
    scores = cached_scores(paths, teachers, texts, batch_size)
    summary = {
        "teachers": paths,
        **{field.name: getattr(options, field.name) for field in dataclasses.fields(DistillArguments)},
        "transfer_texts": len(texts),
        "teacher_scoring_seconds": time.perf_counter() - started,  # the cache's read time when it had them
        **teacher_metrics(paths, teachers, raw, tokenized, task, batch_size),
    }
    transfer = transfer_set(texts, tokenized["train"], scores, tokenizer, data_args.max_seq_length)
    return Distillation(transfer, summary)


def teacher_paths(option: str) -> list[str]:
    return [path.strip() for path in option.split(",") if path.strip()]


def soft_loss(logits: torch.Tensor, teacher: torch.Tensor, options: DistillArguments, problem_type: str):
    """The student's loss against the teachers' scores, averaged over the batch."""
    functional = torch.nn.functional
    if problem_type == ProblemType.REGRESSION:
        return functional.mse_loss(logits.view(-1), teacher.view(-1))
    if problem_type == ProblemType.MULTI_LABEL:
        return functional.binary_cross_entropy_with_logits(logits, teacher)
    teacher_log = teacher.clamp_min(1e-8).log()
    if options.distill_loss == "mse":
        # Tang et al.'s MSE on logits; a teacher's log-probabilities are its logits up to a per-row shift, which
        # softmax ignores, so both sides are compared centred.
        centred = logits - logits.mean(-1, keepdim=True)
        return functional.mse_loss(centred, teacher_log - teacher_log.mean(-1, keepdim=True))
    temperature = options.distill_temperature
    soft_targets = (teacher_log / temperature).softmax(-1)
    student = (logits / temperature).log_softmax(-1)
    # x T²: the gradients keep their size whatever the temperature (Hinton et al.).
    return functional.kl_div(student, soft_targets, reduction="batchmean") * temperature**2


def gold_loss(logits, labels, has_gold, problem_type: str, class_weights: list[float] | None):
    """The usual loss of the problem type on the rows that have a gold label (0 when none has)."""
    gold = has_gold.bool()
    if not gold.any():
        return logits.sum() * 0
    logits, labels = logits[gold], labels[gold]
    functional = torch.nn.functional
    if problem_type == ProblemType.REGRESSION:
        return functional.mse_loss(logits.view(-1), labels.view(-1).to(logits.dtype))
    if problem_type == ProblemType.MULTI_LABEL:
        return functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
    weight = None if class_weights is None else torch.tensor(class_weights, dtype=logits.dtype, device=logits.device)
    return functional.cross_entropy(logits, labels, weight=weight)


def distillation_loss(logits, inputs: dict, options: DistillArguments, problem_type, class_weights=None):
    """alpha x the gold-label loss (class weights apply there) + (1 - alpha) x the loss against the teachers."""
    alpha = options.distill_alpha
    soft = soft_loss(logits.float(), inputs[TEACHER_SCORES].float(), options, problem_type)
    gold = gold_loss(logits.float(), inputs["labels"], inputs[HAS_GOLD], problem_type, class_weights)
    return alpha * gold + (1 - alpha) * soft
