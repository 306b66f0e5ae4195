"""ONNX export: every family and a BERT encoder give torch's logits on padded batches of any size; int8; refusals."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

from seqclf_hf import cli
from seqclf_hf.build import train_tokenizer
from seqclf_hf.errors import ConfigError, ModelSetupError
from seqclf_hf.export import export_onnx
from seqclf_hf.inference import OnnxClassifier, load_classifier
from seqclf_hf.models import FAMILIES
from seqclf_hf.run_layout import ONNX_FILE
from seqclf_hf.space.runs import finished_runs

REPO = Path(__file__).resolve().parents[1]
LABELS = ["ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"]
# Five texts of four lengths, none the size of the export's example batch (two texts): the axes must be dynamic.
# Not in length order, nor in an order that sorting by length swaps pairwise: predict batches them by length.
TEXTS = [
    "How many bones are there in the human body of an adult ?",
    "What does NASA stand for ?",
    "Where ?",
    "Who invented the radio ?",
    "Who invented the telephone ?",
]


@pytest.fixture(scope="module")
def tokenizer():
    tokenizer = train_tokenizer(TEXTS, "word", vocab_size=100)
    tokenizer.model_max_length = 32
    return tokenizer


def tiny_bert():
    sizes = {"hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 32}
    config = BertConfig(vocab_size=100, num_labels=len(LABELS), **sizes)
    torch.manual_seed(0)
    return BertForSequenceClassification(config)


@pytest.fixture
def saved_model(tmp_path, tokenizer, make_model):
    """`saved_model(family)`: a tiny model with TREC's labels and its tokenizer, saved as a run saves them."""

    def save(family, perturbed=False):
        model = tiny_bert() if family == "bert" else make_model(family)
        if perturbed:  # as test_recipe does: logits far from zero, so a tolerance relative to them means something
            with torch.no_grad():
                for parameter in model.parameters():
                    parameter.add_(torch.randn_like(parameter, generator=torch.Generator().manual_seed(1)) * 0.3)
        model.config.id2label = dict(enumerate(LABELS))
        model.config.label2id = {label: i for i, label in enumerate(LABELS)}
        path = tmp_path / family
        model.save_pretrained(path)
        tokenizer.save_pretrained(path)
        return path

    return save


def logits(classifier, texts):
    return classifier.model(**classifier.tensors(classifier.encode(texts))).logits


def assert_close_to_scale(actual, expected, relative=1e-5):
    """Within `relative` of the largest logit: a fixed tolerance would let small logits be wrong by any share."""
    scale = expected.abs().max().item()
    assert scale > 0.5, f"logits of {scale}: too close to zero to compare"
    torch.testing.assert_close(actual, expected, rtol=0, atol=relative * scale)


def mask_matters(classifier, texts) -> bool:
    """Whether this model's logits on the padded batch change when its padding is treated as tokens."""
    inputs = classifier.tensors(classifier.encode(texts))
    unmasked = classifier.model(**{**inputs, "attention_mask": torch.ones_like(inputs["attention_mask"])}).logits
    return not torch.allclose(unmasked, classifier.model(**inputs).logits, rtol=0, atol=1e-3)


@pytest.mark.parametrize("family", FAMILIES)
def test_export_gives_torchs_logits(saved_model, family):
    model_dir = saved_model(family, perturbed=True)
    output = export_onnx(model_dir)
    assert output == model_dir / "onnx"
    exported, original = load_classifier(output), load_classifier(model_dir)
    assert isinstance(exported, OnnxClassifier) and exported.labels == LABELS
    with torch.inference_mode():
        assert_close_to_scale(logits(exported, TEXTS), logits(original, TEXTS))
        # A padded batch where the mask matters: the graph must honour it, giving each text what it gets alone.
        assert mask_matters(original, TEXTS)
        alone = torch.cat([logits(original, [text]) for text in TEXTS])
        assert_close_to_scale(logits(exported, TEXTS), alone)
    # Batched in length order, answered in the order given: each row is what its text gets alone (no padding).
    alone = torch.cat([exported.probabilities([text]) for text in TEXTS])
    for batch_size in (2, len(TEXTS)):
        torch.testing.assert_close(exported.probabilities(TEXTS, batch_size=batch_size), alone, rtol=0, atol=1e-5)
    assert exported.predict(TEXTS) == [
        [{**best, "score": pytest.approx(best["score"], abs=1e-4)}] for [best] in original.predict(TEXTS)
    ]
    with pytest.raises(ModelSetupError, match="ONNX export"):
        exported.explain(TEXTS[0])


def test_int8_stays_close_and_a_second_export_keeps_dynamic_axes(saved_model):
    model_dir = saved_model("lstm")
    int8 = load_classifier(export_onnx(model_dir, int8=True))
    fp32 = load_classifier(export_onnx(model_dir))  # the second export of a recurrent model in this process
    original = load_classifier(model_dir)
    with torch.inference_mode():
        expected = logits(original, TEXTS)
        difference = (logits(int8, TEXTS) - expected).abs().max().item()
        torch.testing.assert_close(logits(fp32, TEXTS), expected, rtol=0, atol=1e-4)
    assert 0 < difference < 0.1  # quantized (not the fp32 graph), and close
    assert int8.model.path.stat().st_size < fp32.model.path.stat().st_size
    assert int8.model.path.parent == model_dir / "onnx-int8"


def test_existing_output_is_refused_then_replaced_with_overwrite(saved_model):
    model_dir = saved_model("bow")
    output = model_dir / "onnx"
    output.mkdir()
    (output / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match="--overwrite"):
        export_onnx(model_dir)
    assert [path.name for path in output.iterdir()] == ["notes.txt"]
    export_onnx(model_dir, overwrite=True)
    assert (output / ONNX_FILE).is_file() and not (output / "notes.txt").exists()
    assert not (model_dir / "onnx.incomplete").exists()


def test_folder_without_model_is_a_one_line_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", str(tmp_path), "--onnx"])
    assert "holds no model (no config.json)" in str(exit_info.value)
    assert not (tmp_path / "onnx").exists()


def test_missing_onnxruntime_says_how_to_install(saved_model, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # an import of it now fails
    with pytest.raises(ModelSetupError, match=r"pip install 'seqclf-hf\[export\]'"):
        export_onnx(saved_model("bow"))


def test_finished_runs_lists_a_runs_exports_after_it(saved_model, tmp_path):
    run = saved_model("cnn")
    export_onnx(run)
    export_onnx(run, int8=True)
    (run / "onnx-int8.incomplete").mkdir()  # an export being written is not offered
    assert finished_runs(tmp_path) == [run, run / "onnx", run / "onnx-int8"]
    assert isinstance(load_classifier(finished_runs(tmp_path)[2]), OnnxClassifier)


def test_a_bert_tokenizer_s_token_types_are_an_input_of_the_graph(tiny_encoder, tmp_path):
    """MiniLM's tokenizer gives token_type_ids, which tell the two texts of a pair apart: the graph takes them."""
    model = BertForSequenceClassification.from_pretrained(tiny_encoder, num_labels=len(LABELS))
    model_dir = tmp_path / "minilm-like"
    model.save_pretrained(model_dir)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(model_dir)
    exported, original = load_classifier(export_onnx(model_dir)), load_classifier(model_dir)
    assert [graph_input.name for graph_input in exported.model.session.get_inputs()][-1] == "token_type_ids"
    pairs = [(TEXTS[0], TEXTS[1]), (TEXTS[2], TEXTS[3])]
    for texts in (TEXTS, pairs):
        torch.testing.assert_close(exported.probabilities(texts), original.probabilities(texts), rtol=0, atol=1e-4)


def test_int8_leaves_convolutions_and_embeddings_in_float(saved_model):
    """onnxruntime's ConvInteger is slower than its float Conv, int8 embeddings cost accuracy: a cnn's int8 graph
    quantizes its linear layers only."""
    onnx = pytest.importorskip("onnx")
    graph = onnx.load(str(export_onnx(saved_model("cnn"), int8=True) / ONNX_FILE)).graph
    operators = {node.op_type for node in graph.node}
    assert "Conv" in operators and "ConvInteger" not in operators
    embedding = next(node for node in graph.node if node.op_type == "Gather" and "embedding" in node.input[0])
    assert next(tensor for tensor in graph.initializer if tensor.name == embedding.input[0]).data_type == 1  # float
    assert "MatMulInteger" in operators  # the linear layers are quantized


# What torch.onnx and onnxruntime printed on every export (seqclf-hf export --int8): nothing a user can act on.
EXPORTER_NOISE = [
    "Exporting a model while it is in training mode",
    "torchvision is not installed",
    "LeafSpec)` is deprecated",
    "will not be used, since it shares the same shape constraints",
    "Please consider to run pre-processing before quantization",
]


def test_the_export_command_prints_none_of_the_exporters_idle_warnings(saved_model, tmp_path):
    """In a fresh process: torch logs some of these once per process, so an earlier export in this one would hide
    them."""
    model_dir = saved_model("cnn")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "seqclf_hf.cli", "export", str(model_dir), "--onnx", "--int8"]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (model_dir / "onnx-int8" / ONNX_FILE).is_file()
    printed = result.stdout + result.stderr
    assert [noise for noise in EXPORTER_NOISE if noise in printed] == []
