"""RNN, GRU and LSTM classifiers: stacked layers of any sizes, bidirectional, four ways to pool the states."""

import torch
from torch import nn

from .configuration_rnn import RNNConfig
from .modeling_utils import (
    SeqClfPreTrainedModel,
    classification_output,
    default_mask,
    masked_max,
    masked_mean,
    states_over_time,
)

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


def reverse_within_length(states: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
    """Each row's real tokens in reverse order, its padding left in place: (batch, seq, hidden) -> same shape."""
    positions = torch.arange(states.shape[1], device=states.device)
    lengths = lengths.unsqueeze(1)
    index = torch.where(positions < lengths, lengths - 1 - positions, positions)
    # expand(-1, -1, hidden), not expand_as(states): an exported graph would fix batch and length to the example's.
    return states.gather(1, index.unsqueeze(-1).expand(-1, -1, states.shape[-1]))


def exporting_tanh_rnn(rnn: nn.RNNBase) -> bool:
    # torch.onnx turns nn.LSTM and nn.GRU into graph loops itself; nn.RNN it would unroll to the example's length.
    return torch.compiler.is_exporting() and isinstance(rnn, nn.RNN)


def exported_tanh_rnn(rnn: nn.RNN, inputs: torch.Tensor) -> torch.Tensor:
    """nn.RNN's outputs (one layer, batch first, tanh) as a graph loop: (batch, seq, input) -> (batch, seq, hidden)."""
    projected = nn.functional.linear(inputs, rnn.weight_ih_l0, rnn.bias_ih_l0)

    def step(t, state):
        return torch.tanh(projected.select(1, t) + nn.functional.linear(state, rnn.weight_hh_l0, rnn.bias_hh_l0))

    return states_over_time(step, inputs.shape[1], inputs.new_zeros(inputs.shape[0], rnn.hidden_size))


class RecurrentLayer(nn.Module):
    """One layer over right-padded batches, each direction a unidirectional RNN / GRU / LSTM on a dense tensor.

    Packed sequences would keep padding out as well, but on CPU they bypass oneDNN's fused kernels and run several
    times slower (pytorch/pytorch#149194). Here the left-to-right direction reads the padding only after the last real
    token, so no real state depends on it; the right-to-left direction reads each row reversed within its length, so
    it too starts at the last real token. States at padded positions are meaningless and every reader masks them.
    """

    def __init__(self, layer_class: type[nn.RNNBase], input_size: int, hidden_size: int, bidirectional: bool):
        super().__init__()
        self.directions = nn.ModuleList(
            layer_class(input_size, hidden_size, batch_first=True) for _ in range(2 if bidirectional else 1)
        )

    def forward(self, states: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """-> states of every position (batch, seq, directions*hidden), state at each row's end (batch, ...)."""
        all_states, final_states = [], []
        for direction, rnn in enumerate(self.directions):
            reading_backwards = direction == 1
            inputs = reverse_within_length(states, lengths) if reading_backwards else states
            outputs = exported_tanh_rnn(rnn, inputs) if exporting_tanh_rnn(rnn) else rnn(inputs)[0]
            # A one-layer RNN's output at a position is its hidden state there: the final one is at length - 1.
            # (outputs.shape[0], not len(): len() would fix an exported graph's batch size to the example's.)
            final_states.append(outputs[torch.arange(outputs.shape[0]), lengths - 1])
            all_states.append(reverse_within_length(outputs, lengths) if reading_backwards else outputs)
        return torch.cat(all_states, dim=-1), torch.cat(final_states, dim=-1)


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
            self.layers.append(RecurrentLayer(layer_class, input_size, hidden_size, config.bidirectional))
            input_size = hidden_size * directions
        self.dropout = nn.Dropout(config.dropout)
        self.attention = AdditiveAttention(input_size, config.attention_dim) if config.pooling == "attention" else None
        pooled_size = input_size * (2 if self.attention is not None else 1)
        self.classifier = nn.Linear(pooled_size, config.num_labels)
        self.post_init()

    def encode(self, input_ids: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the stack -> all states (batch, seq, hidden), final state (batch, hidden); padding changes neither."""
        # The check reads the data, which an exported graph cannot branch on; exported models pad right themselves.
        if not torch.compiler.is_exporting() and (mask[:, 1:] & ~mask[:, :-1]).any():
            raise ValueError(
                "Recurrent models expect right padding (real tokens first); set tokenizer.padding_side = 'right'."
            )
        lengths = mask.sum(1).clamp(min=1)
        states = self.dropout(self.embeddings(input_ids))
        for layer in self.layers:
            states, last_state = layer(states, lengths)
            states = self.dropout(states)
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
        return classification_output(logits, labels, self.config, attentions)


__all__ = ["RNNForSequenceClassification"]
