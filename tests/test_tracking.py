"""--report_to tensorboard / trackio (the `tracking` extra): local files, offline, the run named after the recipe and
its output_dir, the hyperparameters logged, both at once; a tracker that is unknown or not installed stops the run
before it starts."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from seqclf_hf import api, cli, train, validation
from seqclf_hf.errors import ConfigError
from seqclf_hf.recipe_parser import parse_args

REPO = Path(__file__).resolve().parents[1]
TINY = {"embedding_dim": 8, "hidden_sizes": [8], "num_train_epochs": 1, "learning_rate": 0.0123}


def data_files(csv_dataset) -> dict[str, str]:
    return {"train_file": csv_dataset["train"], "validation_file": csv_dataset["validation"]}


def tensorboard_log(output_dir: Path):
    """The run's TensorBoard events (one run under output_dir/runs/), loaded."""
    event_accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    (events,) = (output_dir / "runs").glob("*/events.out.tfevents.*")
    log = event_accumulator.EventAccumulator(str(events.parent), size_guidance={"tensors": 0})
    log.Reload()
    return log


def test_tensorboard_writes_metrics_and_hyperparameters_under_output_dir(csv_dataset, tmp_path):
    output_dir = tmp_path / "out"
    train(model="lstm", **data_files(csv_dataset), output_dir=str(output_dir), report_to="tensorboard", **TINY)
    log = tensorboard_log(output_dir)
    assert {"eval/accuracy", "train/loss"} <= set(log.Tags()["scalars"])
    args = log.Tensors("args/text_summary")[0].tensor_proto.string_val[0].decode()
    assert '"learning_rate": 0.0123' in args and f'"run_name": "lstm:{output_dir}"' in args


def test_tensorboard_and_trackio_at_once_log_offline(csv_dataset, tmp_path):
    """`--report_to tensorboard trackio`: both trackers write their files in one run, without the network."""
    pytest.importorskip("trackio")
    output_dir, trackio_dir = tmp_path / "out", tmp_path / "trackio"
    argv = ["train", "--model", "lstm", "--output_dir", str(output_dir)]
    argv += [f"--{option}={path}" for option, path in data_files(csv_dataset).items()]
    argv += ["--report_to", "tensorboard", "trackio", "--embedding_dim", "8", "--hidden_sizes", "8"]
    argv += ["--num_train_epochs", "1", "--learning_rate", "0.0123"]
    # HF_HUB_OFFLINE: any attempt to reach the Hub fails at once instead of waiting for a closed network.
    env = {**os.environ, "PYTHONPATH": str(REPO), "TRACKIO_DIR": str(trackio_dir), "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "seqclf_hf.cli", *argv]
    result = subprocess.run(command, env={**env, "TQDM_DISABLE": "1"}, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    (database,) = trackio_dir.glob("*.db")
    assert database.stem == "seqclf-hf"  # the project every run of the toolkit logs to
    with sqlite3.connect(database) as connection:
        runs = {row[0] for row in connection.execute("SELECT run_name FROM metrics")}
        (config,) = [json.loads(row[0]) for row in connection.execute("SELECT config FROM configs")]
    assert runs == {f"lstm:{output_dir}"}
    assert config["learning_rate"] == 0.0123 and config["embedding_dim"] == 8  # the Trainer's and the model's
    assert "eval/accuracy" in tensorboard_log(output_dir).Tags()["scalars"]


@pytest.mark.parametrize("flags", [["tensorboard", "trackio"], ["tensorboard,trackio"]], ids=["words", "commas"])
def test_several_trackers_are_a_list(flags):
    training_args = parse_args(["--model", "lstm", "--report_to", *flags])[2]
    assert training_args.report_to == ["tensorboard", "trackio"]


def test_several_trackers_in_a_yaml_or_from_python(tmp_path):
    config = tmp_path / "tracked.yaml"
    config.write_text("model_family: bow\nreport_to: [tensorboard, trackio]\n")
    assert parse_args(["--config", str(config)])[2].report_to == ["tensorboard", "trackio"]
    flags = api.as_flags({"report_to": ["tensorboard", "trackio"]})  # train(report_to=[...])
    assert parse_args(["--model", "bow", *flags])[2].report_to == ["tensorboard", "trackio"]


def test_an_unknown_tracker_is_one_line_before_training(csv_dataset, tmp_path):
    output_dir = tmp_path / "out"
    with pytest.raises(ConfigError, match=r"^--report_to tensorbord: not a tracker the Trainer knows\. Give "):
        train(model="lstm", **data_files(csv_dataset), output_dir=str(output_dir), report_to="tensorboard,tensorbord")
    assert not output_dir.exists()


@pytest.mark.parametrize("tracker", ["tensorboard", "trackio"])
def test_a_tracker_that_is_not_installed_is_one_line_before_training(monkeypatch, csv_dataset, tmp_path, tracker):
    monkeypatch.setitem(validation.TRACKER_PACKAGES, tracker, ("no_such_tracker_package",))  # as if not installed
    output_dir = tmp_path / "out"
    with pytest.raises(ConfigError, match=rf"--report_to {tracker} needs .*pip install 'seqclf-hf\[tracking\]'"):
        train(model="lstm", **data_files(csv_dataset), output_dir=str(output_dir), report_to=tracker, **TINY)
    with pytest.raises(SystemExit, match=r"^error: --report_to"):
        cli.main(["train", "--model", "lstm", "--train_file", csv_dataset["train"], f"--report_to={tracker}"])
    assert not output_dir.exists()
