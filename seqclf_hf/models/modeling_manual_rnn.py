"""The hand-written RNN of the course notebooks: explicit U, W, V, b, c and a Python loop over time.

h_t    = tanh(x_t U + h_{t-1} W + b)
logits = h_T V + c
"""

import torch
from torch import nn
from transformers import initialization as init

from .configuration_manual_rnn import ManualRNNConfig
from .modeling_utils import SeqClfPreTrainedModel, classification_output, default_mask, states_over_time


class ManualRNNCell(nn.Module):
    """The recurrence with its parameters written out: U (input -> hidden), W (hidden -> hidden), bias b."""

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.U = nn.Parameter(torch.empty(input_size, hidden_size))
        self.W = nn.Parameter(torch.empty(hidden_size, hidden_size))
        self.b = nn.Parameter(torch.zeros(hidden_size))

    def forward(self, inputs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """(batch, seq, input), (batch, seq) -> every hidden state (batch, seq, hidden)."""
        batch_size, seq_len, _ = inputs.shape
        projected_inputs = inputs @ self.U  # one matmul for all steps: only the recurrence needs the loop

        def step(t, state):
            candidate = torch.tanh(projected_inputs.select(1, t) + state @ self.W + self.b)
            # A padded position leaves the state as it was, so h_T is the state after the last real token.
            return torch.where(mask.select(1, t).unsqueeze(1), candidate, state)

        return states_over_time(step, seq_len, inputs.new_zeros(batch_size, self.W.shape[0]))


class ManualRNNOutput(nn.Module):
    """The output layer with its parameters written out: logits = h V + c."""

    def __init__(self, hidden_size: int, num_labels: int):
        super().__init__()
        self.V = nn.Parameter(torch.empty(hidden_size, num_labels))
        self.c = nn.Parameter(torch.zeros(num_labels))

    def forward(self, state: torch.Tensor) -> torch.Tensor:
        return state @ self.V + self.c


class ManualRNNForSequenceClassification(SeqClfPreTrainedModel):
    config_class = ManualRNNConfig

    def __init__(self, config: ManualRNNConfig):
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id)
        self.cell = ManualRNNCell(config.embedding_dim, config.hidden_size)
        self.classifier = ManualRNNOutput(config.hidden_size, config.num_labels)
        self.post_init()

    @torch.no_grad()
    def _init_weights(self, module):
        super()._init_weights(module)
        if isinstance(module, ManualRNNCell):
            init.xavier_uniform_(module.U)
            init.orthogonal_(module.W)  # keeps repeated multiplication by W from exploding or vanishing at start
            init.zeros_(module.b)
        elif isinstance(module, ManualRNNOutput):
            init.normal_(module.V, std=self.config.initializer_range)
            init.zeros_(module.c)

    def forward(self, input_ids, attention_mask=None, labels=None, **kwargs):
        mask = default_mask(input_ids, attention_mask)
        states = self.cell(self.embeddings(input_ids), mask)  # (batch, seq, hidden)
        return classification_output(self.classifier(states[:, -1]), labels, self.config)


__all__ = ["ManualRNNForSequenceClassification"]
