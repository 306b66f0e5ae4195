"""Every non-pretrained family, registered with the Auto classes.

`register_for_auto_class` makes `save_pretrained` copy each family's code and write `auto_map` into config.json,
so a saved model loads with `trust_remote_code=True` where seqclf_hf is not installed.
"""

from transformers import AutoConfig, AutoModelForSequenceClassification

from .configuration_bow import BagOfWordsConfig
from .configuration_cnn import CNNConfig
from .configuration_manual_rnn import ManualRNNConfig
from .configuration_rnn import RNNConfig
from .configuration_transformer import TransformerConfig
from .modeling_bow import BagOfWordsForSequenceClassification
from .modeling_cnn import CNNForSequenceClassification
from .modeling_manual_rnn import ManualRNNForSequenceClassification
from .modeling_rnn import RNNForSequenceClassification
from .modeling_transformer import TransformerForSequenceClassification

# --model_family name -> (config class, model class, config values the name implies)
CUSTOM_FAMILIES = {
    "bow": (BagOfWordsConfig, BagOfWordsForSequenceClassification, {}),
    "manual-rnn": (ManualRNNConfig, ManualRNNForSequenceClassification, {}),
    "rnn": (RNNConfig, RNNForSequenceClassification, {"cell_type": "rnn"}),
    "gru": (RNNConfig, RNNForSequenceClassification, {"cell_type": "gru"}),
    "lstm": (RNNConfig, RNNForSequenceClassification, {"cell_type": "lstm"}),
    "cnn": (CNNConfig, CNNForSequenceClassification, {}),
    "transformer": (TransformerConfig, TransformerForSequenceClassification, {}),
}
PRETRAINED_FAMILY = "bert"
FAMILIES = (*CUSTOM_FAMILIES, PRETRAINED_FAMILY)

for _config_class, _model_class, _ in CUSTOM_FAMILIES.values():
    AutoConfig.register(_config_class.model_type, _config_class, exist_ok=True)
    AutoModelForSequenceClassification.register(_config_class, _model_class, exist_ok=True)
    _config_class.register_for_auto_class()
    _model_class.register_for_auto_class("AutoModelForSequenceClassification")

__all__ = [
    "BagOfWordsConfig",
    "BagOfWordsForSequenceClassification",
    "CNNConfig",
    "CNNForSequenceClassification",
    "CUSTOM_FAMILIES",
    "FAMILIES",
    "ManualRNNConfig",
    "ManualRNNForSequenceClassification",
    "PRETRAINED_FAMILY",
    "RNNConfig",
    "RNNForSequenceClassification",
    "TransformerConfig",
    "TransformerForSequenceClassification",
]
