"""seqclf-hf: every sequence-classifier family as a transformers model, trained by one Trainer recipe.

`import seqclf_hf.models` (which every loader and trainer here imports) registers the custom families with
`AutoConfig` / `AutoModelForSequenceClassification`, so `from_pretrained` and `pipeline` load a saved output_dir
without `trust_remote_code`. The package itself imports nothing heavy, so `seqclf-hf --help` answers at once;
`seqclf_hf.models` and `seqclf_hf.FAMILIES` import (and register) on first use.
"""

import importlib

__version__ = "0.1.0"
__all__ = ["FAMILIES", "TrainResult", "models", "train"]
# Imported on first use: the models pull in torch and transformers, the training stack takes seconds more, and
# `seqclf-hf --help` must answer at once.
LAZY = {"train": "api", "TrainResult": "api"}


def __getattr__(name: str):
    if name == "models":
        return importlib.import_module(".models", __name__)
    if name == "FAMILIES":
        return importlib.import_module(".models", __name__).FAMILIES
    if name in LAZY:
        return getattr(importlib.import_module(f".{LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
