"""Configuration of the recurrent family: RNN, GRU and LSTM share one model with a cell-type switch."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .configuration_utils import POOLING_CHOICES, FamilyConfigMixin, require_positive, require_probability

CELL_TYPES = ("rnn", "gru", "lstm")


@strict
class RNNConfig(FamilyConfigMixin, PreTrainedConfig):
    r"""
    The configuration of an [`RNNForSequenceClassification`]: stacked RNN, GRU or LSTM layers (`cell_type`) with a
    pooling over the real tokens.

    Args:
        cell_type (`str`, *optional*, defaults to `"lstm"`):
            Recurrent cell: `"rnn"` (tanh), `"gru"` or `"lstm"`.
        vocab_size (`int`, *optional*, defaults to 30522):
            Number of token ids the embedding table holds (the tokenizer's vocabulary size).
        embedding_dim (`int`, *optional*, defaults to 128):
            Size of each token embedding.
        hidden_sizes (`list[int]`, *optional*, defaults to `[128]`):
            Hidden size of each stacked layer, first to last, e.g. `[64, 128]` for two layers.
        bidirectional (`bool`, *optional*, defaults to `True`):
            Run every layer in both directions and concatenate the two states.
        pooling (`str`, *optional*, defaults to `"last"`):
            How the last layer's states become one vector: `"last"` (state after the last real token, in both
            directions), `"mean"` or `"max"` over real tokens, or `"attention"` (additive attention over real tokens,
            its context concatenated with the `"last"` state).
        attention_dim (`int`, *optional*, defaults to 64):
            Size of the additive attention's projection U (used when `pooling="attention"`).
        dropout (`float`, *optional*, defaults to 0.3):
            Dropout on the embeddings, between layers and before the classifier.
        pad_token_id (`int`, *optional*, defaults to 0):
            Id of the padding token; its embedding row is kept at zero.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialisation of embeddings and linear layers.

    Examples:

    ```python
    >>> from seqclf_hf.models import RNNConfig, RNNForSequenceClassification

    >>> config = RNNConfig(cell_type="lstm", hidden_sizes=[64])
    >>> model = RNNForSequenceClassification(config)
    >>> model.config.cell_type
    'lstm'

    ```
    """

    model_type = "seqclf_rnn"

    cell_type: str = "lstm"
    vocab_size: int = 30522
    embedding_dim: int = 128
    hidden_sizes: list[int] | tuple[int, ...] = (128,)
    bidirectional: bool = True
    pooling: str = "last"
    attention_dim: int = 64
    dropout: float | int = 0.3
    pad_token_id: int | None = 0
    initializer_range: float = 0.02

    architecture_fields = ("embedding_dim", "hidden_sizes", "bidirectional", "pooling", "attention_dim", "dropout")

    def describe(self) -> str:
        directions = "bidirectional" if self.bidirectional else "unidirectional"
        sizes = "x".join(str(size) for size in self.hidden_sizes)
        return (
            f"A recurrent classifier ({directions} {self.cell_type.upper()}, layers of sizes {sizes}) with "
            f"{self.pooling} pooling over the states of real tokens."
        )

    def validate_architecture(self):
        if self.cell_type not in CELL_TYPES:
            raise ValueError(f"`cell_type` must be one of {CELL_TYPES}, got {self.cell_type!r}.")
        if self.pooling not in POOLING_CHOICES:
            raise ValueError(f"`pooling` must be one of {POOLING_CHOICES}, got {self.pooling!r}.")
        require_positive(self, "vocab_size", "embedding_dim", "hidden_sizes", "attention_dim")
        require_probability(self, "dropout")


__all__ = ["RNNConfig"]
