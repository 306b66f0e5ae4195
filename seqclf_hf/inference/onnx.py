"""Serving a folder `seqclf_hf.export` wrote: the graph on onnxruntime, behind the `Classifier` interface."""

import importlib
from pathlib import Path

import torch
from transformers.modeling_outputs import SequenceClassifierOutput

from ..errors import ModelSetupError
from .classifier import Classifier
from .explanation import Explanation


def import_optional(name: str):
    """A module of the `export` extra, or a one-line error saying how to install it."""
    try:
        return importlib.import_module(name)
    except ImportError:
        raise ModelSetupError(f"ONNX export and serving need {name}: pip install 'seqclf-hf[export]'") from None


class OnnxModel:
    """An exported graph behind what `Classifier` reads of a model: `config`, and a call that returns `.logits`."""

    def __init__(self, path: Path, config):
        onnxruntime = import_optional("onnxruntime")
        self.path, self.config = path, config
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = torch.get_num_threads()  # one knob (torch.set_num_threads) for both runtimes
        # onnxruntime's fused SkipLayerNormalization kernel measured slower on CPU than the Add + LayerNormalization it
        # replaces (docs: the performance page has the figures), so the fusion stays off.
        self.session = onnxruntime.InferenceSession(
            str(path), options, providers=["CPUExecutionProvider"], disabled_optimizers=["SkipLayerNormFusion"]
        )

    def __call__(self, **inputs: torch.Tensor) -> SequenceClassifierOutput:
        """The graph's inputs (input_ids, attention_mask and, exported from a tokenizer that gives them,
        token_type_ids) taken from `inputs`."""
        feed = {graph_input.name: inputs[graph_input.name].numpy() for graph_input in self.session.get_inputs()}
        return SequenceClassifierOutput(logits=torch.from_numpy(self.session.run(["logits"], feed)[0]))


class OnnxClassifier(Classifier):
    """A folder `seqclf_hf.export` wrote: `predict`, `probabilities` and `encode` as `Classifier`'s, on onnxruntime."""

    @property
    def size(self) -> str:
        return f"ONNX graph of {self.model.path.stat().st_size / 1e6:.1f} MB"

    def explain(self, text: str) -> Explanation:
        raise ModelSetupError(
            f"{self.source} is an ONNX export, which has no gradients or attention weights to explain a prediction "
            "with: load the trained model folder it was exported from instead."
        )
