"""recipes/search.py: an optuna search on tiny data writes a YAML the recipe trains from."""

import pytest
import yaml

from seqclf_hf import search
from seqclf_hf.recipe_parser import parse_args


def test_search_writes_the_best_trial_as_a_config_the_recipe_reads(make_dataset, tmp_path, capsys):
    pytest.importorskip("optuna")
    files = make_dataset(tmp_path / "data", extension="csv", sizes={"train": 6, "validation": 2})
    out = tmp_path / "search"
    argv = ["--model", "cnn", "--train_file", files["train"], "--validation_file", files["validation"]]
    argv += ["--n_trials", "2", "--output_dir", str(out)]
    argv += [
        "--embedding_dim",
        "8",
        "--num_filters",
        "4",
        "--kernel_sizes",
        "2",
        "--seed",
        "3",
        "--disable_tqdm",
        "true",
    ]
    search.main(argv)

    best = yaml.safe_load((out / "best.yaml").read_text())
    assert "Best trial: dev accuracy" in capsys.readouterr().out
    assert 1e-4 <= best["learning_rate"] <= 1e-2 and 3 <= best["num_train_epochs"] <= 15
    assert 0 <= best["dropout"] <= 0.6 and best["per_device_train_batch_size"] in (16, 32, 64)
    # What the user gave is kept: flags over the recipe's values, and the data.
    assert best["embedding_dim"] == 8 and best["kernel_sizes"] == [2] and best["seed"] == 3
    assert best["train_file"] == files["train"]
    model_args, data_args, training_args, _, _ = parse_args(["--config", str(out / "best.yaml")], tmp_path)
    assert model_args.dropout == best["dropout"] and training_args.learning_rate == best["learning_rate"]
    assert data_args.train_file == files["train"]
