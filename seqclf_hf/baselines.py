"""Baselines beside every result: what a majority guess and a TF-IDF linear model score on the same splits.

A network that does not beat TF-IDF + logistic regression has not earned its cost; one that does not beat the
majority class has learnt nothing. Both fit in seconds with scikit-learn, so every run reports them.
"""

import logging
import time

import numpy as np
from datasets import Dataset, DatasetDict
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.multiclass import OneVsRestClassifier

from .run_layout import SPLITS
from .tasks import ProblemType, spec

logger = logging.getLogger(__name__)

MAX_TRAIN_TEXTS = 50_000  # a larger training split is sampled: the baseline is a yardstick, not a contender
# The baselines by their metrics.json name, as the summary and the model card call them.
BASELINES = {"majority": "majority class", "tfidf": "TF-IDF + linear"}
# Logits standing for certain 0/1 decisions (multi-label): sigmoid(±20) is 0 or 1 at any threshold in (0, 1).
CERTAIN_LOGIT = 20.0


def texts_of(dataset: Dataset) -> list[str]:
    """A split's texts as one string each; a pair's two texts side by side (TF-IDF reads words, not pairs)."""
    if "text_pair" in dataset.column_names:
        return [f"{text} {pair}" for text, pair in zip(dataset["text"], dataset["text_pair"], strict=True)]
    return list(dataset["text"])


def targets(dataset: Dataset, problem_type: str, num_labels: int) -> np.ndarray:
    """The split's labels as scikit-learn takes them: class ids, a 0/1 matrix (multi-label) or floats."""
    if problem_type == ProblemType.MULTI_LABEL:
        matrix = np.zeros((len(dataset), num_labels), dtype=np.int64)
        for row, ids in enumerate(dataset["label"]):
            matrix[row, list(ids)] = 1
        return matrix
    return np.asarray(dataset["label"])


def estimators(problem_type: str) -> dict:
    """The two baselines of a problem type, by name. Logistic regression weighs classes by their inverse
    frequency: on imbalanced data a plain one falls back on the majority class, and the yardstick would be too low."""
    if problem_type == ProblemType.REGRESSION:
        return {"majority": DummyRegressor(strategy="mean"), "tfidf": Ridge(alpha=1.0)}
    logistic = LogisticRegression(max_iter=1000, class_weight="balanced")
    if problem_type == ProblemType.MULTI_LABEL:
        logistic = OneVsRestClassifier(logistic)
    return {"majority": DummyClassifier(strategy="most_frequent"), "tfidf": logistic}


def as_logits(estimator, features, problem_type: str, num_labels: int) -> np.ndarray:
    """Scores whose argmax (single-label), sign (multi-label) or value (regression)
    is the baseline's prediction (what the problem type's `report` reads)."""
    predicted = estimator.predict(features)
    if problem_type == ProblemType.REGRESSION:
        return np.asarray(predicted, dtype=np.float64)
    if problem_type == ProblemType.MULTI_LABEL:
        return np.where(np.asarray(predicted) > 0, CERTAIN_LOGIT, -CERTAIN_LOGIT)
    logits = np.zeros((len(predicted), num_labels))
    logits[np.arange(len(predicted)), predicted] = 1.0
    return logits


def baseline_metrics(splits: DatasetDict, problem_type: str, labels: list[str], threshold: float = 0.5) -> dict:
    """`baseline_<name>_<prefix>_<metric>` for the majority and TF-IDF baselines, fitted on the train split and
    scored on validation and test with the metrics the network is scored with."""
    started, problem = time.perf_counter(), spec(problem_type)
    train = splits["train"]
    if len(train) > MAX_TRAIN_TEXTS:
        train = train.shuffle(seed=0).select(range(MAX_TRAIN_TEXTS))
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    features = vectorizer.fit_transform(texts_of(train))
    y = targets(train, problem_type, len(labels))
    metrics = {}
    for name, estimator in estimators(problem_type).items():
        estimator.fit(features, y)
        for split in SPLITS[1:]:  # validation and test
            if split.name not in splits:
                continue
            dataset, prefix = splits[split.name], split.prefix
            logits = as_logits(estimator, vectorizer.transform(texts_of(dataset)), problem_type, len(labels))
            references = targets(dataset, problem_type, len(labels))
            scores = problem.report(logits, references, labels, threshold)
            metrics.update({f"baseline_{name}_{prefix}_{key}": scores[key] for key in problem.scalar_metrics})
    logger.info("Baselines (majority, TF-IDF) fitted and scored in %.1f s.", time.perf_counter() - started)
    return metrics
