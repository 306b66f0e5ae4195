"""Averaged word vectors + logistic regression: the baseline every other family has to beat."""

import torch
from torch import nn

from .configuration_bow import BagOfWordsConfig
from .modeling_utils import SeqClfPreTrainedModel, classification_output, default_mask, masked_mean


class BagOfWordsForSequenceClassification(SeqClfPreTrainedModel):
    config_class = BagOfWordsConfig

    def __init__(self, config: BagOfWordsConfig):
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id)
        if config.pooling == "position":
            # Equal scores: training starts from the plain average.
            self.position_scores = nn.Parameter(torch.zeros(config.max_positions))
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.embedding_dim, config.num_labels)  # softmax regression on the average
        self.post_init()

    def position_weights(self, mask: torch.Tensor) -> torch.Tensor:
        """Softmax of the position scores over each question's real tokens: (batch, seq)."""
        positions = torch.arange(mask.shape[1], device=mask.device).clamp(max=self.config.max_positions - 1)
        scores = self.position_scores[positions].expand(mask.shape)
        return scores.masked_fill(~mask, torch.finfo(scores.dtype).min).softmax(-1)

    def forward(self, input_ids, attention_mask=None, labels=None, **kwargs):
        mask = default_mask(input_ids, attention_mask)
        embedded = self.embeddings(input_ids)  # (batch, seq, embedding)
        if self.config.pooling == "position":
            pooled = (embedded * self.position_weights(mask).unsqueeze(-1)).sum(1)
        else:
            pooled = masked_mean(embedded, mask)
        return classification_output(self.classifier(self.dropout(pooled)), labels, self.config)


__all__ = ["BagOfWordsForSequenceClassification"]
