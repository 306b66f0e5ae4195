"""Building the model (build.py): a pretrained classifier of other labels, encoder options for other families."""

import logging

import pytest
from tiny_runs import imbalanced_files, model_args, tiny_training

from seqclf_hf.arguments import DataArguments, ModelArguments
from seqclf_hf.build import build_model
from seqclf_hf.errors import ModelSetupError
from seqclf_hf.inference import load_classifier
from seqclf_hf.training import train


def test_ignore_mismatched_sizes_starts_from_a_classifier_of_other_labels(csv_dataset, tiny_encoder, tmp_path):
    first = tmp_path / "six-classes"
    six_classes = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    train(model_args("bert", tiny_encoder), six_classes, tiny_training(first))
    two_classes = DataArguments(**imbalanced_files(tmp_path / "data"))
    with pytest.raises(ModelSetupError, match="has a classifier for other labels .* --ignore_mismatched_sizes true"):
        train(ModelArguments("bert", model_name_or_path=str(first)), two_classes, tiny_training(tmp_path / "out"))
    assert not (tmp_path / "out").exists()
    args = ModelArguments("bert", model_name_or_path=str(first), ignore_mismatched_sizes=True)
    train(args, two_classes, tiny_training(tmp_path / "out"))
    assert load_classifier(tmp_path / "out").labels == ["HUM", "NUM"]


def test_encoder_options_are_refused_for_families_trained_from_scratch(csv_dataset, tmp_path):
    with pytest.raises(ModelSetupError, match=r"\['trust_remote_code'\] apply to pretrained encoders"):
        train(
            ModelArguments("cnn", trust_remote_code=True),
            DataArguments(train_file=csv_dataset["train"]),
            tiny_training(tmp_path / "out"),
        )


def test_a_new_classification_head_is_built_without_transformers_load_report(tiny_encoder, caplog):
    """transformers logs a multi-line LOAD REPORT (the head's weights are missing) on its own logger, which does not
    pass records on to the root logger: the test listens there too."""
    transformers_logger = logging.getLogger("transformers")
    transformers_logger.addHandler(caplog.handler)
    try:
        with caplog.at_level(logging.INFO):
            model = build_model(ModelArguments("bert", model_name_or_path=tiny_encoder), None, ["HUM", "NUM"])
    finally:
        transformers_logger.removeHandler(caplog.handler)
    assert model.config.id2label == {0: "HUM", 1: "NUM"}
    assert "a new classification head for 2 labels" in caplog.text
    assert "LOAD REPORT" not in caplog.text
