"""seqclf-hf: every sequence-classifier family as a transformers model, trained by one Trainer recipe.

Importing the package registers the custom families with `AutoConfig` / `AutoModelForSequenceClassification`,
so `from_pretrained` and `pipeline` load a saved output_dir without `trust_remote_code`.
"""

import importlib

from . import models
from .models import FAMILIES

__version__ = "0.1.0"
__all__ = ["FAMILIES", "TrainResult", "models", "train"]
# Imported on first use: the training stack (the Trainer, datasets) takes seconds to import.
LAZY = {"train": "api", "TrainResult": "api"}


def __getattr__(name: str):
    if name in LAZY:
        return getattr(importlib.import_module(f".{LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
