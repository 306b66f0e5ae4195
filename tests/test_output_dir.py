"""output_dir.py: a checkpoint is resumed only by a run of the same kind (family, labels, tokenizer); a disk that
fills up while the run saves leaves the earlier run as it was."""

import errno
import os
import shutil

import pytest
from test_faults import tree_digest
from tiny_runs import model_args, tiny_bow_run, tiny_training

from seqclf_hf import cli, training
from seqclf_hf.arguments import DataArguments, ModelArguments
from seqclf_hf.errors import ConfigError
from seqclf_hf.training import train


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory, make_dataset):
    """A finished tiny bow run (its checkpoints kept) and the data it was trained on."""
    return tiny_bow_run(tmp_path_factory.mktemp("resume"), make_dataset)


def other_labels(data_args: DataArguments, folder) -> DataArguments:
    """The same texts under other label names."""
    renamed = {}
    for split, name in (("train", data_args.train_file), ("validation", data_args.validation_file)):
        lines = open(name).read().splitlines()
        (folder / f"{split}.csv").write_text("\n".join([lines[0], *(line + "X" for line in lines[1:])]) + "\n")
        renamed[f"{split}_file"] = str(folder / f"{split}.csv")
    return DataArguments(**renamed)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("family", "was made by a seqclf_bow model; this run builds a seqclf_cnn"),
        ("labels", "was made for the labels \\[.*\\]; this run has \\[.*X.*\\]"),
        ("tokenizer", "was made with another tokenizer .*vocabulary"),
    ],
)
def test_resuming_a_checkpoint_of_another_kind_of_run_is_refused_before_training(
    earlier_run, tmp_path, change, message
):
    earlier, data_args = earlier_run
    output_dir = tmp_path / "out"
    shutil.copytree(earlier, output_dir)
    before = tree_digest(output_dir)
    arguments = model_args("bow", "")
    if change == "family":
        arguments = model_args("cnn", "")
    elif change == "labels":
        data_args = other_labels(data_args, tmp_path)
    else:
        arguments = ModelArguments("bow", train_tokenizer="wordpiece", embedding_dim=8)
    with pytest.raises(ConfigError, match=f"{message}.*--overwrite_output_dir") as refused:
        train(arguments, data_args, tiny_training(output_dir, resume_from_checkpoint="auto"))
    assert "\n" not in str(refused.value)
    assert tree_digest(output_dir) == before


def test_a_disk_that_fills_up_while_saving_leaves_the_earlier_run_intact(earlier_run, tmp_path, monkeypatch):
    earlier, data_args = earlier_run
    output_dir = tmp_path / "out"
    shutil.copytree(earlier, output_dir)
    before = tree_digest(output_dir)

    def disk_full(work_dir, *_):  # the model is saved; metrics.json gets half-written, then the disk is full
        (work_dir / "metrics.json").write_text('{"eval_accu')
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(work_dir / "metrics.json"))

    monkeypatch.setattr(training, "write_outputs", disk_full)
    flags = ["--model", "bow", "--embedding_dim", "8", "--train_tokenizer", "word", "--report_to", "none"]
    flags += ["--num_train_epochs", "1"]
    flags += ["--train_file", data_args.train_file, "--validation_file", data_args.validation_file]
    with pytest.raises(SystemExit) as failed:
        cli.main(["train", *flags, "--output_dir", str(output_dir), "--overwrite_output_dir", "true"])
    message = str(failed.value.code)
    assert message.startswith("error: The run stopped: [Errno 28] No space left on device: ")
    assert "\n" not in message and f"{output_dir} still holds the earlier run" in message
    assert tree_digest(output_dir) == before
