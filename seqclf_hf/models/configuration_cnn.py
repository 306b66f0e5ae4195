"""Configuration of TextCNN (Kim, 2014)."""

from huggingface_hub.dataclasses import strict
from transformers import PreTrainedConfig

from .configuration_utils import FamilyConfigMixin, require_positive, require_probability


@strict
class CNNConfig(FamilyConfigMixin, PreTrainedConfig):
    r"""
    The configuration of a [`CNNForSequenceClassification`]: a TextCNN (Kim, 2014), parallel convolutions max-
    pooled over the real tokens.

    Args:
        vocab_size (`int`, *optional*, defaults to 30522):
            Number of token ids the embedding table holds (the tokenizer's vocabulary size).
        embedding_dim (`int`, *optional*, defaults to 128):
            Size of each token embedding (the convolutions' input channels).
        kernel_sizes (`list[int]`, *optional*, defaults to `[3, 5, 7]`):
            Width of each parallel convolution, in tokens.
        num_filters (`int`, *optional*, defaults to 100):
            Output channels of each convolution.
        dropout (`float`, *optional*, defaults to 0.5):
            Dropout on the concatenated pooled features, before the classifier.
        pad_token_id (`int`, *optional*, defaults to 0):
            Id of the padding token; its embedding row is kept at zero.
        initializer_range (`float`, *optional*, defaults to 0.02):
            Standard deviation of the normal initialisation of embeddings, convolutions and the classifier.

    Examples:

    ```python
    >>> from seqclf_hf.models import CNNConfig, CNNForSequenceClassification

    >>> config = CNNConfig(num_filters=64)
    >>> model = CNNForSequenceClassification(config)
    >>> model.config.num_filters
    64

    ```
    """

    model_type = "seqclf_cnn"

    vocab_size: int = 30522
    embedding_dim: int = 128
    kernel_sizes: list[int] | tuple[int, ...] = (3, 5, 7)
    num_filters: int = 100
    dropout: float | int = 0.5
    pad_token_id: int | None = 0
    initializer_range: float = 0.02

    architecture_fields = ("embedding_dim", "kernel_sizes", "num_filters", "dropout")

    def describe(self) -> str:
        widths = ", ".join(str(width) for width in self.kernel_sizes)
        return f"TextCNN (Kim, 2014): parallel convolutions of widths {widths}, max-pooled over real tokens."

    def check_max_seq_length(self, max_seq_length: int) -> None:
        # A convolution wider than the longest input would only ever see padding at its edges.
        if max(self.kernel_sizes) > max_seq_length:
            raise ValueError(
                f"kernel_sizes {list(self.kernel_sizes)} has a kernel wider than --max_seq_length {max_seq_length}; "
                "use smaller kernels or a larger --max_seq_length."
            )

    def validate_architecture(self):
        require_positive(self, "vocab_size", "embedding_dim", "kernel_sizes", "num_filters")
        require_probability(self, "dropout")


__all__ = ["CNNConfig"]
