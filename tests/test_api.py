"""`from seqclf_hf import train`: the recipe as a call (the command's parser, checks and errors, raised not exited),
data given in memory, and examples/quickstart.ipynb executed as a user runs it."""

import json
import subprocess
import sys
from pathlib import Path

import datasets
import pandas as pd
import pytest

from seqclf_hf import TrainResult, train
from seqclf_hf.errors import ConfigError, DataError

REPO = Path(__file__).resolve().parents[1]
TINY = {"embedding_dim": 8, "hidden_sizes": [8], "num_train_epochs": 1}


def test_train_returns_the_metrics_output_dir_and_classifier(csv_dataset, tmp_path, trec_labels):
    files = {f"{split}_file": path for split, path in csv_dataset.items()}
    result = train(model="lstm", output_dir=str(tmp_path / "out"), **files, **TINY)
    assert isinstance(result, TrainResult) and result.output_dir == tmp_path / "out"
    assert result.metrics == json.loads((result.output_dir / "metrics.json").read_text())
    assert 0 <= result.metrics["test_accuracy"] <= 1 and result.metrics["labels"] == sorted(trec_labels)
    assert result.classifier().predict("Who wrote Hamlet?")[0]["label"] in trec_labels
    run = json.loads((result.output_dir / "run_args.json").read_text())
    assert run["model"]["hidden_sizes"] == [8] and run["training"]["run_name"] == f"lstm:{tmp_path / 'out'}"


def test_data_in_memory_dataframe_and_datasetdict(make_rows, tmp_path):
    frame = pd.DataFrame(make_rows(12))[["text", "label"]]
    result = train(model="cnn", train_dataset=frame, output_dir=str(tmp_path / "frame"), num_train_epochs=1)
    assert result.metrics["train_samples"] + result.metrics["eval_samples"] == len(frame)
    splits = datasets.DatasetDict(
        {"train": datasets.Dataset.from_pandas(frame), "validation": datasets.Dataset.from_list(make_rows(2, 12))}
    )
    result = train(model="cnn", dataset=splits, output_dir=str(tmp_path / "dict"), num_train_epochs=1)
    assert result.metrics["eval_samples"] == 12 and result.metrics["train_samples"] == len(frame)
    # What the run records is true after it: no path of the temporary copies it read, but what the data was.
    recorded = json.loads((result.output_dir / "run_args.json").read_text())
    assert recorded["data"]["train_file"] is None and recorded["data"]["validation_file"] is None
    given = {"train_file": f"datasets.Dataset of {len(frame)} rows", "validation_file": "datasets.Dataset of 12 rows"}
    assert recorded["data_in_memory"] == given
    card = (result.output_dir / "README.md").read_text()
    assert f"Data given to `train()` in memory (train: datasets.Dataset of {len(frame)} rows, validation: " in card
    frame_run = json.loads((tmp_path / "frame" / "run_args.json").read_text())
    assert frame_run["data_in_memory"] == {"train_file": f"pandas.DataFrame of {len(frame)} rows"}


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"num_train_epoch": 1}, ConfigError, r"train\(\) has unknown option\(s\): num_train_epoch \(did you mean "),
        ({"num_train_epochs": 0}, ConfigError, "trains nothing"),
        ({"learning_rate": "fast"}, ConfigError, "learning_rate"),
        ({"train_file": "missing.csv"}, DataError, "missing.csv"),
        ({"dataset": {"training": None}}, ConfigError, r"split\(s\) \['training'\]"),
        ({"train_dataset": ["Who?"]}, ConfigError, "datasets.Dataset or a pandas DataFrame"),
        ({"train_dataset": pd.DataFrame(), "dataset_name": "sample"}, ConfigError, "Give the data once"),
    ],
    ids=["unknown", "zero-epochs", "bad-value", "missing-file", "split-name", "list", "twice"],
)
def test_bad_options_raise_the_commands_error_before_writing(tmp_path, options, error, message):
    output_dir = tmp_path / "out"
    with pytest.raises(error, match=message):
        train(model="lstm", output_dir=str(output_dir), **options)
    assert not output_dir.exists()


def test_importing_the_package_does_not_import_the_training_stack():
    code = "import sys, seqclf_hf; print(any(name in sys.modules for name in ('seqclf_hf.training', 'datasets')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_the_quickstart_notebook_runs(monkeypatch, tmp_path):
    nbclient = pytest.importorskip("nbclient")
    nbformat = pytest.importorskip("nbformat")
    notebook = nbformat.read(REPO / "examples" / "quickstart.ipynb", as_version=4)
    # The kernel inherits this process's environment: tiny models, this checkout's package, no Hub.
    for name, value in {"QUICKSTART_TINY": "1", "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(REPO)}.items():
        monkeypatch.setenv(name, value)
    nbclient.NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    shown = "".join(output.get("text", "") + output.get("data", {}).get("text/plain", "") for output in outputs)
    assert "eval_accuracy" in shown and "test_macro_f1" in shown  # the comparison table
    assert "lstm: " in shown and "cnn: " in shown  # the explanations
    assert (tmp_path / "outputs" / "quickstart-cnn" / "onnx").is_dir()
    # A notebook's stderr is no terminal, yet the Trainer's progress shows there: its HTML bar and metrics table
    # (NotebookProgressCallback), not the log lines printed instead when progress bars are off.
    pages = [output["data"].get("text/html", "") for output in outputs if output.output_type == "display_data"]
    assert sum("<progress" in page and "Validation Loss" in page for page in pages) == 2  # the lstm, the cnn
    assert "{'loss': " not in shown
