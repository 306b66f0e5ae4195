"""RNN, GRU and LSTM classifiers: stacked layers of any sizes, bidirectional, four ways to pool the states."""

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .configuration_rnn import RNNConfig
from .layers import SeqClfPreTrainedModel, classification_output, default_mask, masked_max, masked_mean

RECURRENT_LAYERS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class AdditiveAttention(nn.Module):
    """Scores s = tanh(H U) V, softmax over real tokens, context = sum of states weighted by it."""

    def __init__(self, hidden_size: int, attention_dim: int):
        super().__init__()
        self.U = nn.Linear(hidden_size, attention_dim, bias=False)
        self.V = nn.Linear(attention_dim, 1, bias=False)

    def forward(self, states: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, seq, hidden), (batch, seq) -> context (batch, hidden), weights (batch, seq)."""
        scores = self.V(torch.tanh(self.U(states))).squeeze(-1)
        scores = scores.masked_fill(~mask, torch.finfo(scores.dtype).min)
        weights = scores.softmax(dim=-1)
        return torch.einsum("bs,bsh->bh", weights, states), weights


class RNNForSequenceClassification(SeqClfPreTrainedModel):
    config_class = RNNConfig

    def __init__(self, config: RNNConfig):
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id)
        layer_class = RECURRENT_LAYERS[config.cell_type]
        directions = 2 if config.bidirectional else 1
        self.layers = nn.ModuleList()
        input_size = config.embedding_dim
        # One module per layer, because nn.LSTM(num_layers=n) forces every layer to the same size.
        for hidden_size in config.hidden_sizes:
            self.layers.append(
                layer_class(input_size, hidden_size, batch_first=True, bidirectional=config.bidirectional)
            )
            input_size = hidden_size * directions
        self.dropout = nn.Dropout(config.dropout)
        self.attention = AdditiveAttention(input_size, config.attention_dim) if config.pooling == "attention" else None
        pooled_size = input_size * (2 if self.attention is not None else 1)
        self.classifier = nn.Linear(pooled_size, config.num_labels)
        self.post_init()

    def encode(self, input_ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the stack over real tokens only -> all states (batch, seq, hidden), final state (batch, hidden)."""
        if (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError(
                "Recurrent models expect right padding (real tokens first); set tokenizer.padding_side = 'right'."
            )
        seq_len = input_ids.shape[1]
        # Packing makes each direction stop at (or start from) the last real token, so padding is never read.
        lengths = mask.sum(1).clamp(min=1).cpu()
        states = self.dropout(self.embeddings(input_ids))
        for layer in self.layers:
            packed = pack_padded_sequence(states, lengths, batch_first=True, enforce_sorted=False)
            packed_states, final = layer(packed)
            states, _ = pad_packed_sequence(packed_states, batch_first=True, total_length=seq_len)
            states = self.dropout(states)
        final_hidden = final[0] if isinstance(final, tuple) else final  # LSTM also returns its cell state
        last_state = torch.cat(list(final_hidden), dim=-1)  # (directions, batch, hidden) -> (batch, directions*hidden)
        return states, last_state

    def forward(self, input_ids, attention_mask=None, labels=None, output_attentions=None, **kwargs):
        """`output_attentions=True` with attention pooling returns its weights (batch, seq) in `attentions`."""
        mask = default_mask(input_ids, attention_mask)
        states, last_state = self.encode(input_ids, mask)
        if self.config.pooling == "last":
            pooled = last_state
        elif self.config.pooling == "mean":
            pooled = masked_mean(states, mask)
        elif self.config.pooling == "max":
            pooled = masked_max(states, mask)
        else:
            context, weights = self.attention(states, mask)
            pooled = torch.cat([context, last_state], dim=-1)
        logits = self.classifier(self.dropout(pooled))
        wants_attentions = output_attentions if output_attentions is not None else self.config.output_attentions
        attentions = (weights,) if wants_attentions and self.attention is not None else None
        return classification_output(logits, labels, attentions)


__all__ = ["RNNForSequenceClassification"]
