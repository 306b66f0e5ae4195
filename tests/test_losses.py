"""The loss each custom family computes for each problem type, against torch's functions and the formulas on known
inputs; --class_weights' weighted cross-entropy in the Trainer."""

import math

import pytest
import torch
from transformers import TrainingArguments

from seqclf_hf.models import CUSTOM_FAMILIES
from seqclf_hf.trainer import RecipeTrainer

INPUT_IDS = torch.tensor([[5, 6, 7, 8], [9, 10, 0, 0], [11, 12, 13, 0]])
MASK = (INPUT_IDS != 0).long()
MULTI_LABELS = torch.tensor([[1.0, 0.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
TARGETS = torch.tensor([0.5, -1.0, 2.0])


def model_for(make_model, family, problem_type, num_labels):
    model = make_model(family, num_labels=num_labels, problem_type=problem_type).eval()
    with torch.no_grad():  # logits far from zero, where a wrong loss differs most
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter, generator=torch.Generator().manual_seed(1)) * 0.3)
    return model


@pytest.mark.parametrize("family", list(CUSTOM_FAMILIES))
def test_multi_label_loss_is_binary_cross_entropy_with_logits(make_model, family):
    model = model_for(make_model, family, "multi_label_classification", 3)
    with torch.no_grad():
        output = model(input_ids=INPUT_IDS, attention_mask=MASK, labels=MULTI_LABELS)
    logits = output.logits
    assert logits.abs().max() > 0.1
    torch.testing.assert_close(output.loss, torch.nn.functional.binary_cross_entropy_with_logits(logits, MULTI_LABELS))
    # The formula: every (example, label) pair an independent yes/no, averaged over all of them.
    probability = torch.sigmoid(logits)
    by_hand = -(MULTI_LABELS * probability.log() + (1 - MULTI_LABELS) * (1 - probability).log()).mean()
    torch.testing.assert_close(output.loss, by_hand)


@pytest.mark.parametrize("family", list(CUSTOM_FAMILIES))
def test_regression_loss_is_mean_squared_error(make_model, family):
    model = model_for(make_model, family, "regression", 1)
    with torch.no_grad():
        output = model(input_ids=INPUT_IDS, attention_mask=MASK, labels=TARGETS)
    assert output.logits.shape == (3, 1)
    predicted = output.logits.squeeze(-1)
    torch.testing.assert_close(output.loss, torch.nn.functional.mse_loss(predicted, TARGETS))
    torch.testing.assert_close(output.loss, ((predicted - TARGETS) ** 2).sum() / 3)


@pytest.fixture
def weighted_loss(make_model, tmp_path):
    """`weighted_loss(weights)`: RecipeTrainer's loss on a fixed batch of a perturbed tiny lstm, and its logits."""
    model = model_for(make_model, "lstm", "single_label_classification", 3)
    args = TrainingArguments(output_dir=str(tmp_path), report_to="none", use_cpu=True)

    def loss(weights):
        trainer = RecipeTrainer(model=model, args=args, class_weights=weights)
        inputs = {"input_ids": INPUT_IDS, "attention_mask": MASK, "labels": torch.tensor([0, 2, 2])}
        with torch.no_grad():
            value, outputs = trainer.compute_loss(model, inputs, return_outputs=True)
        return value, outputs.logits

    return loss


def test_class_weights_weigh_each_example_by_its_class(weighted_loss):
    """--class_weights w: the loss is sum_i w[y_i] * CE_i / sum_i w[y_i] (torch's weighted mean)."""
    unweighted, logits = weighted_loss(None)
    per_example = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2, 2]), reduction="none")
    torch.testing.assert_close(unweighted, per_example.mean())
    weighted, _ = weighted_loss([3.0, 1.0, 0.5])
    expected = (3.0 * per_example[0] + 0.5 * per_example[1] + 0.5 * per_example[2]) / (3.0 + 0.5 + 0.5)
    torch.testing.assert_close(weighted, expected)
    assert not math.isclose(weighted.item(), unweighted.item(), rel_tol=1e-3)
    equal, _ = weighted_loss([2.0, 2.0, 2.0])  # equal weights change nothing: the mean is normalised by them
    torch.testing.assert_close(equal, unweighted)
