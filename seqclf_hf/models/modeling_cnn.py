"""TextCNN (Kim, 2014): parallel convolutions of several widths, max-pooled over real tokens."""

import torch
from torch import nn

from .configuration_cnn import CNNConfig
from .modeling_utils import SeqClfPreTrainedModel, classification_output, default_mask, masked_max


class CNNForSequenceClassification(SeqClfPreTrainedModel):
    config_class = CNNConfig

    def __init__(self, config: CNNConfig):
        super().__init__(config)
        self.embeddings = nn.Embedding(config.vocab_size, config.embedding_dim, padding_idx=config.pad_token_id)
        # "Same" padding keeps one output per token, so questions shorter than the widest kernel still work.
        self.convs = nn.ModuleList(
            nn.Conv1d(config.embedding_dim, config.num_filters, kernel, padding=kernel // 2)
            for kernel in config.kernel_sizes
        )
        self.dropout = nn.Dropout(config.dropout)
        self.classifier = nn.Linear(config.num_filters * len(config.kernel_sizes), config.num_labels)
        self.post_init()

    def forward(self, input_ids, attention_mask=None, labels=None, **kwargs):
        mask = default_mask(input_ids, attention_mask)
        seq_len = input_ids.shape[1]
        # Zeroing padded embeddings makes them look exactly like the convolution's own zero padding,
        # so a real token's feature is the same however much padding follows it.
        embedded = self.embeddings(input_ids) * mask.unsqueeze(-1)  # (batch, seq, embedding)
        embedded = embedded.transpose(1, 2)  # (batch, embedding, seq), the layout Conv1d wants
        pooled = []
        for conv in self.convs:
            features = torch.relu(conv(embedded))[..., :seq_len]  # even kernels give one extra position
            pooled.append(masked_max(features.transpose(1, 2), mask))  # (batch, filters)
        logits = self.classifier(self.dropout(torch.cat(pooled, dim=-1)))
        return classification_output(logits, labels, self.config)


__all__ = ["CNNForSequenceClassification"]
