"""A small Transformer encoder written here: pre-norm self-attention + feed-forward layers, mean pooled."""

import math

import torch
from torch import nn

from .configuration_transformer import TransformerConfig
from .modeling_utils import SeqClfPreTrainedModel, classification_output, default_mask, masked_mean


def sinusoidal_positions(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """Vaswani et al. (2017) position encodings: (batch, seq) integer positions -> (batch, seq, dim)."""
    frequencies = torch.exp(torch.arange(0, dim, 2, device=positions.device) * (-math.log(10000.0) / dim))
    angles = positions.unsqueeze(-1).float() * frequencies  # (batch, seq, dim / 2)
    encoding = torch.zeros(*positions.shape, dim, device=positions.device)
    encoding[..., 0::2] = torch.sin(angles)
    encoding[..., 1::2] = torch.cos(angles[..., : dim // 2])
    return encoding


class SelfAttention(nn.Module):
    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.num_heads = config.num_heads
        self.dropout = config.dropout
        self.query = nn.Linear(config.hidden_size, config.hidden_size)
        self.key = nn.Linear(config.hidden_size, config.hidden_size)
        self.value = nn.Linear(config.hidden_size, config.hidden_size)
        self.output = nn.Linear(config.hidden_size, config.hidden_size)

    def split_heads(self, hidden: torch.Tensor) -> torch.Tensor:
        batch_size, seq_len, hidden_size = hidden.shape
        head_dim = hidden_size // self.num_heads
        return hidden.view(batch_size, seq_len, self.num_heads, head_dim).transpose(1, 2)  # (batch, heads, seq, dim)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        query, key, value = (self.split_heads(proj(hidden)) for proj in (self.query, self.key, self.value))
        key_padding_mask = mask[:, None, None, :]  # (batch, 1, 1, seq): every query may look at real keys only
        context = nn.functional.scaled_dot_product_attention(
            query, key, value, attn_mask=key_padding_mask, dropout_p=self.dropout if self.training else 0.0
        )
        return self.output(context.transpose(1, 2).flatten(2))


class EncoderLayer(nn.Module):
    """Pre-norm layer (norm before each sub-layer), which trains stably from scratch without warm-up tricks."""

    def __init__(self, config: TransformerConfig):
        super().__init__()
        self.attention_norm = nn.LayerNorm(config.hidden_size)
        self.attention = SelfAttention(config)
        self.feed_forward_norm = nn.LayerNorm(config.hidden_size)
        self.feed_forward = nn.Sequential(
            nn.Linear(config.hidden_size, config.intermediate_size),
            nn.GELU(),
            nn.Linear(config.intermediate_size, config.hidden_size),
        )
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        hidden = hidden + self.dropout(self.attention(self.attention_norm(hidden), mask))
        return hidden + self.dropout(self.feed_forward(self.feed_forward_norm(hidden)))


class TransformerForSequenceClassification(SeqClfPreTrainedModel):
    config_class = TransformerConfig

    def __init__(self, config: TransformerConfig):
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.hidden_size, padding_idx=config.pad_token_id)
        self.layers = nn.ModuleList(EncoderLayer(config) for _ in range(config.num_layers))
        self.final_norm = nn.LayerNorm(config.hidden_size)
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None, **kwargs):
        mask = default_mask(input_ids, attention_mask)
        # Positions count real tokens only, so left or right padding gives every token the same position.
        positions = (mask.long().cumsum(dim=1) - 1).clamp(min=0)
        hidden = self.embeddings(input_ids) * math.sqrt(self.config.hidden_size)
        hidden = self.dropout(hidden + sinusoidal_positions(positions, self.config.hidden_size).to(hidden.dtype))
        for layer in self.layers:
            hidden = layer(hidden, mask)  # (batch, seq, hidden)
        pooled = masked_mean(self.final_norm(hidden), mask)
        return classification_output(self.classifier(self.dropout(pooled)), labels, self.config)


__all__ = ["TransformerForSequenceClassification"]
