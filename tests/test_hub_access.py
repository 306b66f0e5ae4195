"""Without a network, Hub ids fail at once (one reachability check), with the message naming the option."""

import time

import datasets
import httpx
import huggingface_hub
import pytest
from transformers import AutoTokenizer

from seqclf_hf import hub_access
from seqclf_hf.arguments import DataArguments
from seqclf_hf.build import load_pretrained, train_tokenizer
from seqclf_hf.data import load_hub_dataset
from seqclf_hf.errors import DataError, ModelSetupError


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """Online settings, an empty cache, and a network where every request fails; counts the requests."""
    requests = []

    def unreachable(url, **kwargs):
        requests.append(url)
        raise httpx.ConnectError("Name or service not known")

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")  # so that the "1" hub_access sets is undone
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(httpx, "head", unreachable)
    hub_access.hub_reachable.cache_clear()
    yield requests
    hub_access.hub_reachable.cache_clear()


def test_unreachable_hub_fails_fast_once_for_dataset_and_model(no_network):
    start = time.monotonic()
    with pytest.raises(DataError, match="--dataset_name"):
        load_hub_dataset(DataArguments(dataset_name="someone/no-such-dataset"))
    with pytest.raises(ModelSetupError, match="--tokenizer_name"):
        load_pretrained(AutoTokenizer, "someone/no-such-model", "tokenizer of --tokenizer_name")
    assert time.monotonic() - start < 10  # the Hub client's retries alone take about 30 s
    assert len(no_network) == 1  # asked once per process
    assert huggingface_hub.constants.HF_HUB_OFFLINE and datasets.config.HF_HUB_OFFLINE


def test_hf_hub_offline_is_honoured_without_a_request(no_network, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    assert not hub_access.hub_reachable()
    assert no_network == []


def test_local_folder_loads_without_a_reachability_check(no_network, tmp_path):
    train_tokenizer(["Who is it ?", "What is it ?"], "word", vocab_size=20).save_pretrained(tmp_path / "tokenizer")
    tokenizer = load_pretrained(AutoTokenizer, str(tmp_path / "tokenizer"), "tokenizer of --tokenizer_name")
    assert tokenizer.convert_ids_to_tokens(tokenizer("who is it")["input_ids"])[1:-1] == ["who", "is", "it"]
    assert no_network == []
