"""The recipe's Trainer (trainer.py): class weights in the loss, early stopping, batches by length buckets."""

import json
import logging
from itertools import pairwise

import datasets
import pytest
import torch
from tiny_runs import imbalanced_files, model_args, tiny_training
from transformers import TrainingArguments

from seqclf_hf.arguments import DataArguments, ModelArguments, RunArguments
from seqclf_hf.build import build_model
from seqclf_hf.data import load_data, tokenize
from seqclf_hf.errors import ConfigError, DataError
from seqclf_hf.recipe_parser import parse_args
from seqclf_hf.trainer import LengthBucketSampler, RecipeTrainer, Task, enough_epochs, make_trainer
from seqclf_hf.training import describe_task, train
from seqclf_hf.validation import check_sampling


def test_auto_class_weights_are_inverse_frequencies_used_by_the_loss_and_saved(tmp_path):
    data_args = DataArguments(**imbalanced_files(tmp_path / "data"))
    output_dir = tmp_path / "out"
    train(model_args("bow", ""), data_args, tiny_training(output_dir), RunArguments(class_weights="auto"))
    saved = json.loads((output_dir / "run_args.json").read_text())
    assert saved["run"]["class_weights"] == "auto"
    assert saved["class_weights"] == pytest.approx([16 / (2 * 4), 16 / (2 * 12)])  # labels HUM, NUM


def test_an_unweighted_run_on_imbalanced_classes_is_warned_and_a_weighted_one_is_not(caplog):
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["HUM", "NUM"])}
    )
    split = datasets.Dataset.from_dict({"text": ["a question"] * 12, "label": [0] * 2 + [1] * 10}, features=features)
    for option, warned in ((None, True), ("auto", False)):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            describe_task(split, DataArguments(), RunArguments(class_weights=option))
        assert ("imbalanced: 'NUM' has 10 texts, 'HUM' 2" in caplog.text) == warned


def test_class_weights_change_the_loss_of_every_model_through_the_trainer(tmp_path, make_model):
    model = make_model("cnn").eval()
    inputs = {"input_ids": torch.tensor([[5, 6, 7], [8, 9, 10]]), "labels": torch.tensor([0, 3])}
    weights = [1.0, 1.0, 1.0, 4.0, 1.0, 1.0]
    args = TrainingArguments(output_dir=str(tmp_path), use_cpu=True, report_to="none")
    logits = model(input_ids=inputs["input_ids"]).logits
    for given in (weights, None):
        trainer = RecipeTrainer(model=model, args=args, class_weights=given)
        weight = torch.tensor(given) if given else None
        expected = torch.nn.functional.cross_entropy(logits, inputs["labels"], weight=weight)
        assert trainer.compute_loss(model, dict(inputs)).item() == pytest.approx(expected.item(), abs=1e-6)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("1,2,3", "gives 3 weights for 2 labels"), ("1,-2", "one positive number per label"), ("a,b", "positive")],
)
def test_bad_class_weights_are_one_line_errors(spec, message, tmp_path):
    with pytest.raises((ConfigError, DataError), match=f"--class_weights.*{message}"):
        train(
            model_args("bow", ""),
            DataArguments(**imbalanced_files(tmp_path / "data")),
            tiny_training(tmp_path / "out"),
            RunArguments(class_weights=spec),
        )
    assert not (tmp_path / "out").exists()


def test_early_stopping_stops_when_the_metric_stops_improving(csv_dataset, tmp_path):
    data_args = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    run_args = RunArguments(early_stopping_patience=1, early_stopping_threshold=10.0)  # no epoch improves by 10
    metrics, _ = train(model_args("bow", ""), data_args, tiny_training(tmp_path / "out", num_train_epochs=5), run_args)
    assert metrics["epoch"] == 2  # the first evaluation sets the best, the second fails to improve: stop


def test_early_stopping_without_evaluation_is_an_error(csv_dataset, tmp_path):
    with pytest.raises(ConfigError, match="--early_stopping_patience watches the validation metric: it needs"):
        train(
            model_args("bow", ""),
            DataArguments(train_file=csv_dataset["train"]),
            tiny_training(tmp_path / "out", eval_strategy="no", save_strategy="no", load_best_model_at_end=False),
            RunArguments(early_stopping_patience=2),
        )
    assert not (tmp_path / "out").exists()


def test_a_small_training_split_trains_at_least_min_train_steps(csv_dataset, tmp_path, caplog):
    """A few texts make a step or two an epoch: the epochs are raised to reach --min_train_steps, the log says so and
    run_args.json records the epochs run."""
    data_args = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    output_dir = tmp_path / "out"
    with caplog.at_level("INFO", logger="seqclf_hf"):
        metrics, _ = train(
            model_args("bow", ""), data_args, tiny_training(output_dir), RunArguments(min_train_steps=12)
        )
    steps_per_epoch = -(-len(load_data(data_args)["train"]) // 8)  # tiny_training's batch of 8
    assert metrics["global_step"] >= 12 and metrics["epoch"] == -(-12 // steps_per_epoch) > 1
    assert "fewer than --min_train_steps 12" in caplog.text
    saved = json.loads((output_dir / "run_args.json").read_text())
    assert saved["training"]["num_train_epochs"] == metrics["epoch"]


@pytest.mark.parametrize(
    ("epochs", "max_steps", "min_steps", "expected"),
    [(2, -1, 100, 10), (20, -1, 100, 20), (2, -1, 0, 2), (2, 5, 100, 2)],
    ids=["raised", "enough-already", "off", "max-steps-wins"],
)
def test_enough_epochs(tmp_path, epochs, max_steps, min_steps, expected):
    args = TrainingArguments(
        str(tmp_path), per_device_train_batch_size=10, num_train_epochs=epochs, max_steps=max_steps, use_cpu=True
    )
    assert enough_epochs(args, train_size=95, min_steps=min_steps).num_train_epochs == expected  # 10 steps an epoch


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        ([], 500),
        (["--num_train_epochs", "3"], 0),
        (["--num-train-epochs=3"], 0),
        (["--max_steps", "40"], 0),
        (["--num_train_epochs", "3", "--min_train_steps", "50"], 50),
    ],
)
def test_the_recipes_train_500_steps_at_least_unless_told_how_long(flags, expected):
    assert parse_args(["--model", "cnn", *flags])[3].min_train_steps == expected


def batches_of(indices, batch_size):
    return [indices[start : start + batch_size] for start in range(0, len(indices), batch_size)]


def test_length_buckets_cover_every_example_once_in_length_sorted_batches():
    lengths = [(7 * index) % 30 for index in range(30)]  # 0..29, shuffled
    sampler = LengthBucketSampler(lengths, batch_size=4, seed=0)
    indices = list(sampler)
    assert sorted(indices) == list(range(30)) and len(sampler) == 30
    batches = batches_of(indices, 4)
    # 30 examples fit one group: the batches are the length-sorted order cut in fours, the short one last.
    assert [len(batch) for batch in batches] == [4] * 7 + [2]
    assert sorted(lengths[i] for i in batches[-1]) == [28, 29]
    spans = sorted((min(lengths[i] for i in batch), max(lengths[i] for i in batch)) for batch in batches)
    assert all(high - low == 3 for low, high in spans[:-1])
    first_lengths = [min(lengths[i] for i in batch) for batch in batches[:-1]]
    assert first_lengths != sorted(first_lengths), "the batches must not run from short to long"


def test_length_buckets_draw_one_order_per_seed_and_epoch():
    lengths = list(range(100))
    sampler = LengthBucketSampler(lengths, batch_size=5, seed=3, batches_per_group=4)
    first = list(sampler)
    assert list(LengthBucketSampler(lengths, batch_size=5, seed=3, batches_per_group=4)) == first
    sampler.set_epoch(1)
    assert list(sampler) != first
    # Groups of 4 batches: each batch is a slice of one group sorted by length.
    for batch in batches_of(first, 5):
        assert [lengths[i] for i in batch] == sorted(lengths[i] for i in batch)


def tiny_lstm_args():
    return ModelArguments(model_family="lstm", train_tokenizer="word", embedding_dim=8, hidden_sizes=[8])


def tiny_lstm(word_tokenizer):
    return build_model(tiny_lstm_args(), word_tokenizer, ["a"])


def tokenized_splits(csv_dataset, word_tokenizer):
    data = load_data(DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"]))
    return tokenize(data, word_tokenizer, max_seq_length=64)


def test_trainer_with_length_buckets_pads_each_batch_to_similar_lengths(csv_dataset, word_tokenizer, tmp_path):
    tokenized = tokenized_splits(csv_dataset, word_tokenizer)
    args = TrainingArguments(output_dir=str(tmp_path), per_device_train_batch_size=4, use_cpu=True, report_to="none")
    model = tiny_lstm(word_tokenizer)
    trainer = make_trainer(
        args, tokenized, word_tokenizer, Task("single_label_classification", ["a"]), True, model=model
    )
    batches = list(trainer.get_train_dataloader())
    assert sum(len(batch["input_ids"]) for batch in batches) == len(tokenized["train"])
    # The 48 questions fit one group: sorted by length, the batches' length ranges do not overlap.
    spans = sorted((int(mask.sum(1).min()), int(mask.sum(1).max())) for mask in (b["attention_mask"] for b in batches))
    assert all(previous[1] <= current[0] for previous, current in pairwise(spans))
    assert len({low for low, _ in spans}) > 1


def test_length_buckets_and_group_by_length_together_is_an_error(tmp_path):
    args = TrainingArguments(
        output_dir=str(tmp_path), train_sampling_strategy="group_by_length", use_cpu=True, report_to="none"
    )
    with pytest.raises(ConfigError, match="--length_buckets .* --train_sampling_strategy group_by_length"):
        check_sampling(True, args)


def test_train_batches_by_length_buckets_when_asked(csv_dataset, tmp_path, monkeypatch):
    samplers = []

    class RecordedSampler(LengthBucketSampler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            samplers.append(self)

    monkeypatch.setattr("seqclf_hf.trainer.LengthBucketSampler", RecordedSampler)
    model_args = tiny_lstm_args()
    data_args = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    args = TrainingArguments(tmp_path / "out", per_device_train_batch_size=4, use_cpu=True, report_to="none")
    train(model_args, data_args, args, RunArguments())
    assert samplers == []
    data_args.length_buckets = True
    metrics, _ = train(model_args, data_args, args, RunArguments(overwrite_output_dir=True))
    assert len(samplers) == 1 and samplers[0].batch_size == 4 and len(samplers[0]) == metrics["train_samples"]
