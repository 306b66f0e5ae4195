"""seqclf-hf: every sequence-classifier family as a transformers model, trained by one Trainer recipe.

Importing the package registers the custom families with `AutoConfig` / `AutoModelForSequenceClassification`,
so `from_pretrained` and `pipeline` load a saved output_dir without `trust_remote_code`.
"""

from . import models
from .models import FAMILIES

__version__ = "0.1.0"
__all__ = ["FAMILIES", "models"]
