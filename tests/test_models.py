"""Every custom family: outputs, padding invariance, training signal, save/load, and config validation."""

import json

import pytest
import torch
from huggingface_hub.errors import StrictDataclassError
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
from transformers import AutoModelForSequenceClassification
from transformers.modeling_outputs import SequenceClassifierOutput

from seqclf_hf.models import CNNConfig, ManualRNNConfig, RNNConfig, TransformerConfig

LENGTHS = [7, 3, 5, 1, 6]  # batch of 5, the longest 7 tokens


def padded_batch(lengths, vocab_size=100, seq_len=None, side="right", seed=0):
    """Random token ids (never the padding id 0) padded to `seq_len` on `side`; returns (input_ids, attention_mask)."""
    seq_len = seq_len or max(lengths)
    generator = torch.Generator().manual_seed(seed)
    input_ids = torch.zeros(len(lengths), seq_len, dtype=torch.long)
    attention_mask = torch.zeros_like(input_ids)
    for row, length in enumerate(lengths):
        span = slice(0, length) if side == "right" else slice(seq_len - length, seq_len)
        input_ids[row, span] = torch.randint(1, vocab_size, (length,), generator=generator)
        attention_mask[row, span] = 1
    return input_ids, attention_mask


def real_tokens(input_ids, attention_mask, row):
    """One row of the batch without its padding, as a batch of one."""
    return input_ids[row][attention_mask[row].bool()].unsqueeze(0)


def test_output_type_shape_and_no_loss_without_labels(tiny_model):
    input_ids, attention_mask = padded_batch(LENGTHS)
    with torch.no_grad():
        output = tiny_model(input_ids=input_ids, attention_mask=attention_mask)
    assert isinstance(output, SequenceClassifierOutput)
    assert output.logits.shape == (len(LENGTHS), tiny_model.config.num_labels)
    assert output.loss is None
    assert torch.isfinite(output.logits).all()


def test_loss_is_finite_scalar_cross_entropy(tiny_model):
    input_ids, attention_mask = padded_batch(LENGTHS)
    labels = torch.tensor([0, 1, 2, 3, 5])
    with torch.no_grad():
        output = tiny_model(input_ids=input_ids, attention_mask=attention_mask, labels=labels)
    assert output.loss.ndim == 0 and torch.isfinite(output.loss)
    torch.testing.assert_close(output.loss, nn.functional.cross_entropy(output.logits, labels))


def test_head_is_named_classifier_and_produces_the_logits(tiny_model):
    assert isinstance(tiny_model.classifier, nn.Module)
    head_shapes = [param.shape for name, param in tiny_model.named_parameters() if name.startswith("classifier.")]
    assert head_shapes and all(tiny_model.config.num_labels in shape for shape in head_shapes)
    input_ids, attention_mask = padded_batch(LENGTHS)
    with torch.no_grad():
        for param in tiny_model.classifier.parameters():
            param.zero_()
        logits = tiny_model(input_ids=input_ids, attention_mask=attention_mask).logits
    assert torch.equal(logits, torch.zeros_like(logits))  # the head is the last layer: nothing is added after it


def test_no_attention_mask_means_every_token_is_real(tiny_model):
    input_ids, _ = padded_batch([6, 6, 6])
    with torch.no_grad():
        implicit = tiny_model(input_ids=input_ids).logits
        explicit = tiny_model(input_ids=input_ids, attention_mask=torch.ones_like(input_ids)).logits
    torch.testing.assert_close(implicit, explicit)


def assert_padding_does_not_change_logits(model, side: str) -> None:
    input_ids, attention_mask = padded_batch(LENGTHS, seq_len=9, side=side)
    with torch.no_grad():
        batched = model(input_ids=input_ids, attention_mask=attention_mask).logits
        for row in range(len(LENGTHS)):
            alone = model(input_ids=real_tokens(input_ids, attention_mask, row)).logits
            torch.testing.assert_close(batched[row : row + 1], alone, atol=1e-5, rtol=0)


def test_right_padding_does_not_change_logits(tiny_model):
    assert_padding_does_not_change_logits(tiny_model, side="right")


@pytest.mark.parametrize("family", ["transformer", "cnn", "manual-rnn"])
def test_left_padding_does_not_change_logits(make_model, family):
    assert_padding_does_not_change_logits(make_model(family).eval(), side="left")


@pytest.mark.parametrize("family", ["rnn", "gru", "lstm"])
def test_recurrent_models_reject_left_padding(make_model, family):
    input_ids, attention_mask = padded_batch(LENGTHS, side="left")
    with pytest.raises(ValueError, match="right padding"):
        make_model(family)(input_ids=input_ids, attention_mask=attention_mask)


def test_one_adam_step_changes_every_parameter(tiny_model):
    model = tiny_model.train()
    pad_id = model.config.pad_token_id
    input_ids, attention_mask = padded_batch(LENGTHS)
    before = {name: param.detach().clone() for name, param in model.named_parameters()}
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(input_ids=input_ids, attention_mask=attention_mask, labels=torch.tensor([0, 1, 2, 3, 4])).loss.backward()
    optimizer.step()
    for name, param in model.named_parameters():
        if param is model.get_input_embeddings().weight:
            used = input_ids[attention_mask.bool()].unique()
            assert (param[used] != before[name][used]).any(dim=-1).all(), "a used token's embedding did not move"
            assert torch.equal(param[pad_id], before[name][pad_id]) and not param[pad_id].any()
        else:
            assert not torch.equal(param, before[name]), f"{name} did not change"


def test_save_pretrained_then_auto_class_loads_identical_model(tiny_model, tmp_path):
    tiny_model.save_pretrained(tmp_path)
    loaded = AutoModelForSequenceClassification.from_pretrained(tmp_path).eval()
    assert type(loaded) is type(tiny_model)
    saved_state, loaded_state = tiny_model.state_dict(), loaded.state_dict()
    assert saved_state.keys() == loaded_state.keys()
    for name, tensor in saved_state.items():
        assert torch.equal(tensor, loaded_state[name]), name
    input_ids, attention_mask = padded_batch(LENGTHS)
    with torch.no_grad():
        expected = tiny_model(input_ids=input_ids, attention_mask=attention_mask).logits
        assert torch.equal(loaded(input_ids=input_ids, attention_mask=attention_mask).logits, expected)


def test_save_pretrained_writes_code_and_auto_map(tiny_model, tmp_path):
    tiny_model.save_pretrained(tmp_path)
    auto_map = json.loads((tmp_path / "config.json").read_text())["auto_map"]
    assert set(auto_map) == {"AutoConfig", "AutoModelForSequenceClassification"}
    for reference in auto_map.values():
        module = reference.split(".")[0]
        assert (tmp_path / f"{module}.py").is_file(), f"{module}.py not saved"
    assert list(tmp_path.glob("modeling_*.py")) and list(tmp_path.glob("configuration_*.py"))


def manual_rnn_and_torch_rnn(make_model):
    model = make_model("manual-rnn").eval()
    cell = model.cell
    with torch.no_grad():
        cell.b.normal_()  # a non-zero bias, so a mix-up of b with the missing hidden bias would show
        reference = nn.RNN(cell.U.shape[0], cell.W.shape[0], batch_first=True)
        reference.weight_ih_l0.copy_(cell.U.T)
        reference.weight_hh_l0.copy_(cell.W.T)
        reference.bias_ih_l0.copy_(cell.b)
        reference.bias_hh_l0.zero_()
    return model, reference


def test_manual_rnn_cell_matches_torch_rnn(make_model):
    model, reference = manual_rnn_and_torch_rnn(make_model)
    inputs = torch.randn(5, 7, model.config.embedding_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        states = model.cell(inputs, torch.ones(5, 7, dtype=torch.bool))
        expected, _ = reference(inputs)
    assert states.shape == (5, 7, model.config.hidden_size)
    torch.testing.assert_close(states, expected, atol=1e-5, rtol=1e-5)


def test_manual_rnn_final_state_is_state_at_last_real_token(make_model):
    model, reference = manual_rnn_and_torch_rnn(make_model)
    inputs = torch.randn(5, 7, model.config.embedding_dim, generator=torch.Generator().manual_seed(2))
    lengths = torch.tensor(LENGTHS)
    mask = torch.arange(7) < lengths[:, None]
    with torch.no_grad():
        final = model.cell(inputs, mask)[:, -1]
        expected, _ = reference(inputs)  # state at step t depends on steps <= t only
    torch.testing.assert_close(final, expected[torch.arange(5), lengths - 1], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("family", ["rnn", "gru", "lstm"])
def test_recurrent_layer_equals_torchs_packed_bidirectional_layer(make_model, family):
    """Dense runs with in-length reversal give what pack_padded_sequence gives, at every real token and the end."""
    layer = make_model(family).layers[0]
    forward, backward = layer.directions
    reference = type(forward)(forward.input_size, forward.hidden_size, batch_first=True, bidirectional=True)
    with torch.no_grad():
        for name, weight in forward.named_parameters():
            getattr(reference, name).copy_(weight)
            getattr(reference, f"{name}_reverse").copy_(getattr(backward, name))
        lengths = torch.tensor(LENGTHS)
        inputs = torch.randn(len(LENGTHS), 9, forward.input_size, generator=torch.Generator().manual_seed(3))
        states, final = layer(inputs, lengths)
        packed = pack_padded_sequence(inputs, lengths, batch_first=True, enforce_sorted=False)
        packed_states, reference_final = reference(packed)
        expected, _ = pad_packed_sequence(packed_states, batch_first=True, total_length=9)
    reference_hidden = reference_final[0] if family == "lstm" else reference_final
    real = torch.arange(9) < lengths[:, None]
    torch.testing.assert_close(states[real], expected[real], atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(final, torch.cat(list(reference_hidden), dim=-1), atol=1e-5, rtol=1e-5)


def test_manual_rnn_logits_are_final_state_times_v_plus_c(make_model):
    model = make_model("manual-rnn").eval()
    input_ids, attention_mask = padded_batch(LENGTHS)
    with torch.no_grad():
        states = model.cell(model.embeddings(input_ids), attention_mask.bool())
        expected = states[:, -1] @ model.classifier.V + model.classifier.c
        logits = model(input_ids=input_ids, attention_mask=attention_mask).logits
    torch.testing.assert_close(logits, expected)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("family", ["rnn", "gru", "lstm"])
def test_attention_pooling_weights_cover_real_tokens_only(make_model, family, bidirectional):
    model = make_model(family, pooling="attention", attention_dim=8, bidirectional=bidirectional).eval()
    input_ids, attention_mask = padded_batch(LENGTHS, seq_len=9)
    with torch.no_grad():
        output = model(input_ids=input_ids, attention_mask=attention_mask, output_attentions=True)
    (weights,) = output.attentions
    assert weights.shape == input_ids.shape
    torch.testing.assert_close(weights.sum(-1), torch.ones(len(LENGTHS)))
    assert torch.all(weights[attention_mask == 0] == 0)
    assert torch.all(weights[attention_mask == 1] > 0)


def test_attentions_are_only_returned_when_asked(make_model):
    model = make_model("lstm", pooling="attention", attention_dim=8).eval()
    input_ids, attention_mask = padded_batch(LENGTHS)
    with torch.no_grad():
        assert model(input_ids=input_ids, attention_mask=attention_mask).attentions is None
        assert make_model("lstm")(input_ids=input_ids, output_attentions=True).attentions is None


@pytest.mark.parametrize(
    ("config_class", "values", "field"),
    [
        (RNNConfig, {"hidden_sizes": [16, -8]}, "hidden_sizes"),
        (ManualRNNConfig, {"hidden_size": -1}, "hidden_size"),
        (TransformerConfig, {"hidden_size": -16}, "hidden_size"),
        (CNNConfig, {"num_filters": 0}, "num_filters"),
        (TransformerConfig, {"hidden_size": 30, "num_heads": 4}, "num_heads"),
        (RNNConfig, {"pooling": "sum"}, "pooling"),
        (RNNConfig, {"cell_type": "transformer"}, "cell_type"),
        (CNNConfig, {"dropout": 1.5}, "dropout"),
    ],
    ids=["rnn-hidden", "manual-hidden", "transformer-hidden", "cnn-filters", "heads", "pooling", "cell", "dropout"],
)
def test_invalid_config_raises_a_validation_error_naming_the_field(config_class, values, field):
    with pytest.raises(StrictDataclassError, match=f"`{field}`"):
        config_class(**values)


@pytest.mark.parametrize("config_class", [RNNConfig, ManualRNNConfig, CNNConfig, TransformerConfig])
def test_default_configs_are_valid(config_class):
    config = config_class(num_labels=3)
    assert config.num_labels == 3 and config.pad_token_id == 0
