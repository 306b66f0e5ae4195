"""The one loader for everything a training run writes, and what a loaded model does: predict and explain.

`load_classifier(source)` takes an output_dir or a Hub id holding a whole model (a custom family, with or without
seqclf_hf installed; any pretrained encoder; a `merged/` LoRA model) or a peft adapter (lora, prefix, prompt: its
base model, labels and tokenizer found beside it), or a folder `seqclf_hf.export` wrote (served by onnxruntime).
`classification_pipeline`, the Space, the benchmarks and `seqclf_hf.push` all load through here.

loading.py: finding and loading what a folder holds; classifier.py: `Classifier` on raw texts; explanation.py: word
scores; onnx.py: the onnxruntime backend.
"""

from .classifier import Classifier, Encoded, clean_text, has_visible_text, model_max_length
from .explanation import Explanation
from .loading import (
    adapter_base,
    classification_pipeline,
    from_pretrained,
    load_classifier,
    load_config,
    load_model,
    load_tokenizer,
)
from .onnx import OnnxClassifier, OnnxModel, import_optional

__all__ = [
    "Classifier",
    "Encoded",
    "Explanation",
    "OnnxClassifier",
    "OnnxModel",
    "adapter_base",
    "classification_pipeline",
    "clean_text",
    "has_visible_text",
    "from_pretrained",
    "import_optional",
    "load_classifier",
    "load_config",
    "load_model",
    "load_tokenizer",
    "model_max_length",
]
