"""peft: each method trains only what it should, adapters save and load, merged LoRA matches, clear errors."""

import json
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer, TrainingArguments
from transformers import pipeline as hf_pipeline

import seqclf_hf.models  # noqa: F401  (registers the custom families, so saved ones load without remote code)
from seqclf_hf.arguments import DataArguments, ModelArguments, PeftArguments, RunArguments
from seqclf_hf.build import build_model, train_tokenizer
from seqclf_hf.errors import ConfigError, ModelSetupError
from seqclf_hf.inference import classification_pipeline, load_model
from seqclf_hf.peft_setup import apply_peft, save_peft_outputs
from seqclf_hf.recipe_parser import parse_args
from seqclf_hf.run_layout import BASE_DIR, MERGED_DIR
from seqclf_hf.training import train
from seqclf_hf.validation import check_peft

# Names of the parameters each method trains: the adapter's, and the head's (peft's copy of it, or the head itself).
TRAINED = {
    "lora": ("lora_", "classifier.modules_to_save."),
    "prefix": ("prompt_encoder.", "classifier.modules_to_save."),
    "prompt": ("prompt_encoder.", "classifier.modules_to_save."),
    "head": ("classifier.",),
}
CONFIGS_DIR = Path(__file__).resolve().parents[1] / "recipes" / "configs"
LABELS = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
TEXTS = ["What does NASA stand for ?", "Who invented the radio ?", "Where is Petra located ?", "How many planets ?"]
SIZES = {  # tiny models, as ModelArguments fields
    "manual-rnn": {"embedding_dim": 16, "hidden_size": 16},
    "gru": {"embedding_dim": 16, "hidden_sizes": [16]},
    "lstm": {"embedding_dim": 16, "hidden_sizes": [16], "pooling": "attention", "attention_dim": 8},
    "cnn": {"embedding_dim": 16, "num_filters": 8, "kernel_sizes": [2, 3]},
    "transformer": {"hidden_size": 16, "num_heads": 2, "intermediate_size": 32, "num_layers": 1},
}


@pytest.fixture(scope="session")
def word_tokenizer():
    return train_tokenizer(TEXTS, "word", vocab_size=100)


@pytest.fixture
def make_peft_model(tiny_encoder, word_tokenizer):
    """`make_peft_model(family, **peft_options)` -> (model ready to train, its tokenizer)."""

    def make(family, **options):
        if family == "bert":
            model_args = ModelArguments("bert", model_name_or_path=tiny_encoder)
            tokenizer = AutoTokenizer.from_pretrained(tiny_encoder)
        else:
            model_args, tokenizer = ModelArguments(family, **SIZES[family]), word_tokenizer
        torch.manual_seed(0)
        model = build_model(model_args, tokenizer, LABELS)
        check_peft(PeftArguments(**options), family)  # as validate_options does before a run
        return apply_peft(model, PeftArguments(**options), family), tokenizer

    return make


def batch(tokenizer):
    inputs = tokenizer(TEXTS, padding=True, return_tensors="pt")
    return {"input_ids": inputs["input_ids"], "attention_mask": inputs["attention_mask"]}


def train_steps(model, tokenizer, steps=3):
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    labels = torch.arange(len(TEXTS)) % len(LABELS)
    for _ in range(steps):
        model(**batch(tokenizer), labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    return model.eval()


def logits(model, tokenizer):
    with torch.no_grad():
        return model(**batch(tokenizer)).logits


def save_like_trainer(model, tokenizer, output_dir, merge_lora=False):
    """What Trainer.save_model writes (the adapter and the tokenizer), then what the recipe adds."""
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    save_peft_outputs(model, tokenizer, output_dir, merge_lora)


@pytest.mark.parametrize(
    ("family", "method"),
    [
        ("bert", "lora"),
        ("bert", "prefix"),
        ("bert", "prompt"),
        ("bert", "head"),
        ("cnn", "lora"),
        ("transformer", "lora"),
        ("lstm", "lora"),
        ("manual-rnn", "lora"),
        ("gru", "head"),
    ],
)
def test_training_changes_only_the_adapter_and_the_head(make_peft_model, family, method):
    options = {"num_virtual_tokens": 4} if method in ("prefix", "prompt") else {}
    model, tokenizer = make_peft_model(family, peft=method, **options)
    before = {name: param.detach().clone() for name, param in model.named_parameters()}
    trainable = {name for name, param in model.named_parameters() if param.requires_grad}
    train_steps(model, tokenizer)
    changed = {name for name, param in model.named_parameters() if not torch.equal(param, before[name])}
    assert changed == trainable
    assert all(any(marker in name for marker in TRAINED[method]) for name in trainable)
    assert all(any(marker in name for name in trainable) for marker in TRAINED[method])


def test_lora_on_custom_families_adapts_every_wrappable_layer_but_the_head(make_peft_model):
    model, _ = make_peft_model("transformer", peft="lora")
    targets = model.peft_config["default"].target_modules
    assert {"embeddings", "layers.0.attention.query", "layers.0.feed_forward.0", "layers.0.feed_forward.2"} <= targets
    assert not any("classifier" in target for target in targets)


@pytest.mark.parametrize(
    ("family", "method"), [("bert", "lora"), ("bert", "prefix"), ("bert", "prompt"), ("cnn", "lora")]
)
def test_saved_adapter_loads_with_the_same_logits(make_peft_model, tmp_path, family, method):
    model, tokenizer = make_peft_model(family, peft=method, num_virtual_tokens=4)
    train_steps(model, tokenizer)
    save_like_trainer(model, tokenizer, tmp_path)
    assert {"adapter_config.json", "adapter_model.safetensors", "labels.json"} <= {p.name for p in tmp_path.iterdir()}
    assert not (tmp_path / "model.safetensors").exists()  # the adapter only, not a copy of the model

    loaded = load_model(tmp_path).eval()
    assert isinstance(loaded, PeftModel)
    torch.testing.assert_close(logits(loaded, tokenizer), logits(model, tokenizer))
    expected = [LABELS[i] for i in logits(model, tokenizer).argmax(-1)]
    assert [p["label"] for p in classification_pipeline(tmp_path)(TEXTS)] == expected


def test_custom_family_adapter_names_its_saved_base_by_a_relative_path(make_peft_model, tmp_path):
    model, tokenizer = make_peft_model("cnn", peft="lora")
    train_steps(model, tokenizer)
    save_like_trainer(model, tokenizer, tmp_path)
    base = json.loads((tmp_path / "adapter_config.json").read_text())["base_model_name_or_path"]
    assert base == BASE_DIR  # no path of the trainer's machine in a file that is pushed
    assert str(tmp_path) not in "".join(path.read_text() for path in tmp_path.glob("*.json"))
    classify = classification_pipeline(tmp_path)
    assert [p["label"] for p in classify(TEXTS)] == [LABELS[i] for i in logits(model, tokenizer).argmax(-1)]


def test_moved_custom_family_adapter_loads_its_base_from_the_new_place(make_peft_model, tmp_path):
    model, tokenizer = make_peft_model("cnn", peft="lora")
    train_steps(model, tokenizer)
    save_like_trainer(model, tokenizer, tmp_path / "trained")
    (tmp_path / "trained").rename(tmp_path / "moved")  # adapter_config.json still names trained/base
    loaded = load_model(tmp_path / "moved").eval()
    torch.testing.assert_close(logits(loaded, tokenizer), logits(model, tokenizer))


@pytest.mark.parametrize("family", ["bert", "cnn", "transformer"])
def test_merged_lora_loads_without_peft_and_matches_the_adapter(make_peft_model, tmp_path, family):
    model, tokenizer = make_peft_model(family, peft="lora", merge_lora=True)
    train_steps(model, tokenizer)
    save_like_trainer(model, tokenizer, tmp_path, merge_lora=True)
    merged = AutoModelForSequenceClassification.from_pretrained(tmp_path / MERGED_DIR).eval()
    assert not isinstance(merged, PeftModel) and not any("lora" in name for name, _ in merged.named_parameters())
    torch.testing.assert_close(logits(merged, tokenizer), logits(model, tokenizer), atol=1e-5, rtol=1e-4)
    assert len(hf_pipeline("text-classification", model=str(tmp_path / MERGED_DIR))(TEXTS)) == len(TEXTS)


@pytest.mark.parametrize(
    ("family", "target", "message"),
    [
        ("lstm", "directions.0", "'layers.0.directions.0', a LSTM, which LoRA cannot wrap"),
        ("gru", "layers.0.directions.1", "'layers.0.directions.1', a GRU"),
        ("cnn", "conv", "names no layer"),
        ("bert", "classifier", "names the classifier head"),
    ],
)
def test_a_target_lora_cannot_wrap_is_a_clear_error(make_peft_model, family, target, message):
    with pytest.raises(ModelSetupError, match=message) as error:
        make_peft_model(family, peft="lora", lora_target_modules=[target])
    wrappable = {"lstm": "embeddings", "gru": "embeddings", "cnn": "convs.0", "bert": "query"}[family]
    assert wrappable in str(error.value)


@pytest.mark.parametrize("method", ["prefix", "prompt"])
def test_prefix_and_prompt_tuning_need_a_pretrained_encoder(make_peft_model, method):
    with pytest.raises(ModelSetupError, match=f"--peft {method} needs a pretrained encoder"):
        make_peft_model("cnn", peft=method)


def test_merge_lora_without_lora_is_a_config_error(make_peft_model):
    with pytest.raises(ConfigError, match="--merge_lora"):
        make_peft_model("bert", peft="prefix", merge_lora=True)


@pytest.mark.parametrize("recipe", ["bert-lora", "bert-prefix", "bert-prompt", "bert-head"])
def test_peft_recipes_and_flags_parse(recipe):
    *_, peft_args = parse_args(["--model", recipe, "--lora_target_modules", "query", "key"], CONFIGS_DIR)
    assert isinstance(peft_args, PeftArguments)
    assert peft_args.peft == recipe.removeprefix("bert-")
    assert peft_args.lora_target_modules == ["query", "key"]


@pytest.mark.parametrize(
    ("model_args", "peft_args"),
    [
        ({"model_family": "bert"}, {"peft": "lora", "merge_lora": True}),
        ({"model_family": "cnn", "train_tokenizer": "word", **SIZES["cnn"]}, {"peft": "lora"}),
    ],
    ids=["bert-lora", "cnn-lora"],
)
def test_training_run_saves_an_adapter_that_loads(tiny_encoder, csv_dataset, tmp_path, model_args, peft_args):
    if model_args["model_family"] == "bert":
        model_args["model_name_or_path"] = tiny_encoder
    output_dir = tmp_path / "out"
    training_args = TrainingArguments(
        output_dir=str(output_dir),
        num_train_epochs=1,
        learning_rate=1e-2,
        eval_strategy="epoch",
        save_strategy="epoch",
        load_best_model_at_end=True,
        report_to="none",
    )
    data_args = DataArguments(train_file=csv_dataset["train"], validation_file=csv_dataset["validation"])
    metrics, _ = train(
        ModelArguments(**model_args), data_args, training_args, RunArguments(), PeftArguments(**peft_args)
    )
    assert metrics["trainable_parameters"] < metrics["parameters"] / 2
    assert (output_dir / "adapter_model.safetensors").is_file()
    assert len(classification_pipeline(output_dir)(TEXTS)) == len(TEXTS)
    assert (output_dir / MERGED_DIR / "config.json").is_file() == peft_args.get("merge_lora", False)
