"""Configuration of the small Transformer encoder trained from scratch."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .configuration_utils import FamilyConfigMixin, require_positive, require_probability


@strict
class TransformerConfig(FamilyConfigMixin, PreTrainedConfig):
    r"""
    The configuration of a [`TransformerForSequenceClassification`]: a small Transformer encoder trained from
    scratch.

    Args:
        vocab_size (`int`, *optional*, defaults to 30522):
            Number of token ids the embedding table holds (the tokenizer's vocabulary size).
        hidden_size (`int`, *optional*, defaults to 128):
            Width of the embeddings and of every layer's output.
        num_layers (`int`, *optional*, defaults to 2):
            Number of encoder layers.
        num_heads (`int`, *optional*, defaults to 4):
            Attention heads per layer; must divide `hidden_size`.
        intermediate_size (`int`, *optional*, defaults to 256):
            Width of the position-wise feed-forward layer.
        dropout (`float`, *optional*, defaults to 0.1):
            Dropout on embeddings, attention probabilities, sub-layer outputs and before the classifier.
        pad_token_id (`int`, *optional*, defaults to 0):
            Id of the padding token; its embedding row is kept at zero.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialisation of embeddings and linear layers.

    Examples:

    ```python
    >>> from seqclf_hf.models import TransformerConfig, TransformerForSequenceClassification

    >>> config = TransformerConfig(num_layers=2)
    >>> model = TransformerForSequenceClassification(config)
    >>> model.config.num_layers
    2

    ```
    """

    model_type = "seqclf_transformer"

    vocab_size: int = 30522
    hidden_size: int = 128
    num_layers: int = 2
    num_heads: int = 4
    intermediate_size: int = 256
    dropout: float | int = 0.1
    pad_token_id: int | None = 0
    initializer_range: float = 0.02

    architecture_fields = ("hidden_size", "num_layers", "num_heads", "intermediate_size", "dropout")

    def describe(self) -> str:
        return (
            f"A small Transformer encoder trained from scratch: {self.num_layers} pre-norm layers, {self.num_heads} "
            f"heads, hidden size {self.hidden_size}, mean-pooled over real tokens."
        )

    def validate_architecture(self):
        require_positive(self, "vocab_size", "hidden_size", "num_layers", "num_heads", "intermediate_size")
        require_probability(self, "dropout")
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"`hidden_size` ({self.hidden_size}) must be divisible by `num_heads` ({self.num_heads}): "
                "each head gets hidden_size / num_heads dimensions."
            )


__all__ = ["TransformerConfig"]
