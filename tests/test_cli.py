"""The `seqclf-hf` console command, the recipes shipped as package data, and the recipe's --help."""

import csv
import importlib.resources
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from seqclf_hf import cli
from seqclf_hf.recipe_parser import parse_args

REPO = Path(__file__).resolve().parents[1]


def console_script_target() -> str:
    """What `pip install` makes the seqclf-hf command run, as pyproject declares it."""
    return re.search(r'^seqclf-hf = "(.+)"$', (REPO / "pyproject.toml").read_text(), re.MULTILINE).group(1)


def test_recipes_are_package_data_and_the_clone_path_links_to_them():
    shipped = importlib.resources.files("seqclf_hf") / "configs"
    assert yaml.safe_load((shipped / "lstm.yaml").read_text())["model_family"] == "lstm"
    assert (REPO / "recipes" / "configs").resolve() == Path(str(shipped)).resolve()
    assert '"configs/*.yaml"' in (REPO / "pyproject.toml").read_text()  # so pip install ships them


def test_console_command_trains_and_shows_true_labels_next_to_predictions(make_dataset, tmp_path):
    module, function = console_script_target().split(":")
    files = make_dataset(tmp_path / "data", "csv", sizes={"train": 6, "validation": 2, "test": 1})
    output_dir = tmp_path / "out"
    argv = ["train", "--model", "lstm", "--embedding_dim", "8", "--hidden_sizes", "8", "--num_train_epochs", "1"]
    argv += [f"--{split}_file={path}" for split, path in files.items()] + ["--output_dir", str(output_dir)]
    # What pip's generated seqclf-hf script does.
    script = f"import sys; from {module} import {function}; sys.argv[0] = 'seqclf-hf'; sys.exit({function}())"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script, *argv], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (output_dir / "model.safetensors").is_file()
    with open(files["test"], newline="") as handle:
        true_label = {row["text"]: row["label"] for row in csv.DictReader(handle)}
    shown = [line for line in result.stdout.splitlines() if line.rstrip().endswith(tuple(true_label))]
    assert len(shown) == 5
    for line in shown:  # predicted label, score, true label, right?, text
        predicted, _, true, right, *text = line.split()
        assert true == true_label[" ".join(text)] and right == ("yes" if predicted == true else "no")


def test_unknown_command_is_a_one_line_error_naming_the_commands(capsys):
    with pytest.raises(SystemExit, match="error: Unknown command 'trian'; the commands are train, search, push"):
        cli.main(["trian", "--model", "lstm"])


@pytest.mark.parametrize("command", list(cli.COMMANDS))
def test_every_command_presents_itself_as_seqclf_hf_command(command, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main([command, "--help"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: seqclf-hf {command} ")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["predict", "run", "file.csv", "--out", "x.csv"], "unknown option --out (did you mean --output?)"),
        (["predict", "run", "file.csv"], "the following arguments are required: --output."),
        (["export", "run", "--onn"], "unknown option --onn (did you mean --onnx?)"),
        (["push", "run", "me/run", "--priv"], "unknown option --priv (did you mean --private?)"),
        (["search", "--model", "cnn", "--num_train_epoch", "1"], "unknown option --num_train_epoch (did you mean"),
    ],
)
def test_every_command_refuses_abbreviated_flags_in_one_error_line(argv, expected, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.main(argv)
    assert str(stopped.value.code).startswith(f"error: {expected}")
    assert "usage:" not in capsys.readouterr().err  # one line, not argparse's usage first


def test_help_imports_no_subcommand_torch_or_transformers():
    # What `seqclf-hf --help` costs: the package and cli.py only (a subcommand imports its module when it runs).
    script = "import sys; from seqclf_hf import cli; cli.main(['--help']); print(sorted(sys.modules))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    modules = result.stdout.splitlines()[-1]
    for heavy in ("'torch'", "'transformers'", "'seqclf_hf.training'", "'seqclf_hf.models'"):
        assert heavy not in modules


def recipe_help(capsys, *flags) -> str:
    with pytest.raises(SystemExit) as stopped:
        parse_args(["--model", "lstm", *flags])
    assert stopped.value.code == 0
    return capsys.readouterr().out


def test_help_shows_the_recipes_values_and_this_projects_options_first(capsys):
    text = recipe_help(capsys, "--help")
    # This project's options and the common Trainer ones: well under half of --help-all's ~750 lines.
    assert len(text.splitlines()) < 350
    assert text.index("--model NAME") < text.index("--config FILE") < text.index("--model_family")
    epochs_option = text.index("\n  --num_train_epochs")  # its line, not a mention in another option's help
    assert text.index("--peft ") < epochs_option  # this project's options, then the Trainer's
    flat = " ".join(text[epochs_option:].split())  # help lines wrap anywhere
    epochs = flat[: flat.index("--learning_rate")]
    learning_rate = flat[flat.index("--learning_rate") : flat.index("--weight_decay")]
    assert "(default: 10)" in epochs and "(default: 0.002)" in learning_rate
    assert "(default: None)" not in " ".join(text.split()) and "--output-dir" not in text
    assert "--lr_scheduler_type" not in text and "--help-all" in text


def test_help_all_lists_every_trainer_option(capsys):
    text = recipe_help(capsys, "--help-all")
    assert "--lr_scheduler_type" in text and "--model_family" in text
    assert not [line for line in text.splitlines() if line.count("(default:") > 1]
