"""Pieces shared by the non-pretrained families: masked pooling, the loss per problem type, and the base class.

Every model marks real tokens with `attention_mask` (1 = real, 0 = padding); nothing here ever reads a padded
position, so adding padding cannot change a prediction.
"""

import torch
from torch import nn
from transformers import PreTrainedModel
from transformers import initialization as init
from transformers.modeling_outputs import SequenceClassifierOutput


def masked_mean(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean over real tokens: (batch, seq, hidden), (batch, seq) -> (batch, hidden)."""
    weights = mask.unsqueeze(-1).to(states.dtype)
    return (states * weights).sum(1) / weights.sum(1).clamp(min=1)


def masked_max(states: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Max over real tokens: (batch, seq, hidden), (batch, seq) -> (batch, hidden)."""
    padded = ~mask.bool().unsqueeze(-1)
    return states.masked_fill(padded, torch.finfo(states.dtype).min).amax(1)


def default_mask(input_ids: torch.Tensor, attention_mask: torch.Tensor | None) -> torch.Tensor:
    """The attention mask as booleans; without one every position is a real token."""
    if attention_mask is None:
        return torch.ones_like(input_ids, dtype=torch.bool)
    return attention_mask.bool()


def states_over_time(step, seq_len: int, state: torch.Tensor) -> torch.Tensor:
    """state = step(t, state) for t = 0 .. seq_len - 1 -> every state, (batch, seq, hidden).

    While exporting (`seqclf_hf.export`) the loop is a graph loop (`torch.while_loop`): torch.export would unroll a
    Python loop to the example's length and the graph would take that length only. Training keeps the Python loop,
    because `torch.while_loop` has no backward.
    """
    if not torch.compiler.is_exporting():
        states = []
        for t in range(seq_len):
            state = step(t, state)
            states.append(state)
        return torch.stack(states, dim=1)

    def more(t, states, state):
        return t < seq_len

    def next_state(t, states, state):
        index = t.item()
        torch._check(index >= 0)  # lets the exporter index with a value it only knows at run time
        torch._check(index < seq_len)
        state = step(index, state)
        states = states.clone()  # a loop body may not write into its inputs
        states[index] = state
        return t + 1, states, state

    empty = state.new_empty(seq_len, *state.shape)
    _, states, _ = torch.while_loop(more, next_state, (torch.tensor(0), empty, state))
    return states.transpose(0, 1)


def problem_type(config, labels: torch.Tensor) -> str:
    """`config.problem_type`, or what transformers' heads infer when it is unset: one output is a regression, integer
    labels name one class each, float labels are one 0/1 column per class."""
    if config.problem_type:
        return config.problem_type
    if config.num_labels == 1:
        return "regression"
    return "single_label_classification" if labels.dtype in (torch.long, torch.int) else "multi_label_classification"


def classification_output(logits, labels=None, config=None, attentions=None) -> SequenceClassifierOutput:
    """Wrap logits, and the loss transformers' heads compute for the problem type when labels are given:
    cross-entropy (one label), binary cross-entropy with logits (several labels), mean squared error (a number)."""
    loss = None
    if labels is not None:
        kind = problem_type(config, labels)
        if kind == "regression":
            loss = nn.functional.mse_loss(logits.squeeze(-1), labels.to(logits.dtype).view(-1))
        elif kind == "multi_label_classification":
            loss = nn.functional.binary_cross_entropy_with_logits(logits, labels.to(logits.dtype))
        else:
            loss = nn.functional.cross_entropy(logits, labels.view(-1))
    return SequenceClassifierOutput(loss=loss, logits=logits, attentions=attentions)


class SeqClfPreTrainedModel(PreTrainedModel):
    """Base class: token embeddings in `self.embeddings`, a `classifier` head, recurrent layers initialised too."""

    main_input_name = "input_ids"

    @torch.no_grad()
    def _init_weights(self, module):
        # The base class covers Linear, Conv1d, Embedding, LayerNorm and LSTM; plain RNN and GRU need the same care.
        # `init.*` (not torch.nn.init) leaves weights that from_pretrained already loaded untouched.
        super()._init_weights(module)
        if isinstance(module, (nn.RNN, nn.GRU)):
            for name, param in module.named_parameters():
                if "weight" in name:
                    init.xavier_uniform_(param)
                else:
                    init.zeros_(param)

    def get_input_embeddings(self) -> nn.Embedding:
        return self.embeddings

    def set_input_embeddings(self, value: nn.Embedding) -> None:
        self.embeddings = value
