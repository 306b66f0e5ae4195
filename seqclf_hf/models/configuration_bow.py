"""Configuration of the averaged-word-vector baseline (the course notebooks' first model)."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .configuration_utils import FamilyConfigMixin, require_positive, require_probability

BOW_POOLING_CHOICES = ("mean", "position")


@strict
class BagOfWordsConfig(FamilyConfigMixin, PreTrainedConfig):
    r"""
    The configuration of a [`BagOfWordsForSequenceClassification`]: word vectors pooled over the real tokens of a
    text, then a linear classifier (the course notebooks' first model).

    Args:
        vocab_size (`int`, *optional*, defaults to 30522):
            Number of token ids the embedding table holds (the tokenizer's vocabulary size).
        embedding_dim (`int`, *optional*, defaults to 128):
            Size of each token embedding, and of the averaged question vector the classifier reads.
        pooling (`str`, *optional*, defaults to `"mean"`):
            `mean`: plain average of the token vectors; `position`: average weighted by a softmax over one learnt score
            per position.
        max_positions (`int`, *optional*, defaults to 64):
            Number of position scores (`position` pooling); later positions share the last score.
        dropout (`float`, *optional*, defaults to 0.0):
            Dropout on the averaged vector, before the classifier.
        pad_token_id (`int`, *optional*, defaults to 0):
            Id of the padding token; its embedding row is kept at zero.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialisation of embeddings and the classifier.

    Examples:

    ```python
    >>> from seqclf_hf.models import BagOfWordsConfig, BagOfWordsForSequenceClassification

    >>> config = BagOfWordsConfig(embedding_dim=64)
    >>> model = BagOfWordsForSequenceClassification(config)
    >>> model.config.embedding_dim
    64

    ```
    """

    model_type = "seqclf_bow"

    vocab_size: int = 30522
    embedding_dim: int = 128
    pooling: str = "mean"
    max_positions: int = 64
    dropout: float | int = 0.0
    pad_token_id: int | None = 0
    initializer_range: float = 0.02

    architecture_fields = ("embedding_dim", "pooling", "max_positions", "dropout")

    def describe(self) -> str:
        weighting = "a plain average" if self.pooling == "mean" else "weighted by learnt position scores"
        return f"Averaged word vectors ({weighting}) and a linear classifier: the course notebooks' baseline."

    def validate_architecture(self):
        require_positive(self, "vocab_size", "embedding_dim", "max_positions")
        require_probability(self, "dropout")
        if self.pooling not in BOW_POOLING_CHOICES:
            raise ValueError(f"`pooling` must be one of {BOW_POOLING_CHOICES} for bow, got {self.pooling!r}.")


__all__ = ["BagOfWordsConfig"]
