"""Configuration of the hand-written RNN of the course notebooks."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .configuration_utils import FamilyConfigMixin, require_positive


@strict
class ManualRNNConfig(FamilyConfigMixin, PreTrainedConfig):
    r"""
    The configuration of a [`ManualRNNForSequenceClassification`]: the hand-written Elman RNN of the course
    notebooks.

    Args:
        vocab_size (`int`, *optional*, defaults to 30522):
            Number of token ids the embedding table holds (the tokenizer's vocabulary size).
        embedding_dim (`int`, *optional*, defaults to 128):
            Size of each token embedding, the input x_t of the recurrence.
        hidden_size (`int`, *optional*, defaults to 128):
            Size of the hidden state h_t.
        pad_token_id (`int`, *optional*, defaults to 0):
            Id of the padding token; its embedding row is kept at zero.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialisation of embeddings and the output matrix V.

    Examples:

    ```python
    >>> from seqclf_hf.models import ManualRNNConfig, ManualRNNForSequenceClassification

    >>> config = ManualRNNConfig(hidden_size=32)
    >>> model = ManualRNNForSequenceClassification(config)
    >>> model.config.hidden_size
    32

    ```
    """

    model_type = "seqclf_manual_rnn"

    vocab_size: int = 30522
    embedding_dim: int = 128
    hidden_size: int = 128
    pad_token_id: int | None = 0
    initializer_range: float = 0.02

    architecture_fields = ("embedding_dim", "hidden_size")

    def describe(self) -> str:
        return (
            "The hand-written RNN of the course notebooks: explicit matrices U, W, V, "
            "h_t = tanh(x_t U + h_{t-1} W + b), logits = h_T V + c, a loop over time."
        )

    def validate_architecture(self):
        require_positive(self, "vocab_size", "embedding_dim", "hidden_size")


__all__ = ["ManualRNNConfig"]
