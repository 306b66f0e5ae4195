"""inference/loading.py on what others made: weights from safetensors only, a Hub repo's code only when trusted."""

import pytest
import torch

from seqclf_hf import cli
from seqclf_hf.errors import ConfigError
from seqclf_hf.inference import from_pretrained, load_classifier


@pytest.fixture
def pickled_model(make_model, word_tokenizer, tmp_path):
    """A saved lstm whose weights are only `pytorch_model.bin`, as older or foreign folders hold them."""
    folder = tmp_path / "pickled"
    model = make_model("lstm", vocab_size=len(word_tokenizer))
    model.save_pretrained(folder)
    word_tokenizer.save_pretrained(folder)
    (folder / "model.safetensors").unlink()
    torch.save(model.state_dict(), folder / "pytorch_model.bin")
    return folder, model


def test_a_folder_with_only_a_pickle_is_refused_unless_allowed(pickled_model):
    folder, model = pickled_model
    with pytest.raises(ConfigError, match="only as a pickle \\(pytorch_model.bin\\).*--allow_pickle"):
        load_classifier(folder)
    loaded = load_classifier(folder, allow_pickle=True).model
    assert all(torch.equal(loaded.state_dict()[name], value) for name, value in model.state_dict().items())


def test_predict_refuses_a_pickle_in_one_line_and_loads_it_when_allowed(pickled_model, tmp_path):
    folder, _ = pickled_model
    texts = tmp_path / "questions.txt"
    texts.write_text("Who invented the radio ?\n")
    output = tmp_path / "preds.csv"
    refusal = "^error: Could not load the model .*only as a pickle.*--allow_pickle"
    with pytest.raises(SystemExit, match=refusal) as exit:
        cli.main(["predict", str(folder), str(texts), "--output", str(output)])
    assert "\n" not in str(exit.value.code) and not output.exists()
    cli.main(["predict", str(folder), str(texts), "--output", str(output), "--allow_pickle"])
    assert output.read_text().count("\n") == 2  # header and the one row


class NeedsRemoteCode:
    """A loader whose model loads only by running the repo's code, recording how it was asked."""

    calls: list[bool] = []

    @classmethod
    def from_pretrained(cls, source, trust_remote_code, **kwargs):
        cls.calls.append(trust_remote_code)
        if not trust_remote_code:
            raise ValueError("The repository contains custom code: pass trust_remote_code=True to run it.")
        return "loaded"


def test_a_hub_repos_code_runs_only_when_the_caller_trusts_it(tmp_path):
    NeedsRemoteCode.calls = []
    with pytest.raises(ConfigError, match="runs code from its Hub repo.*--trust_remote_code"):
        from_pretrained(NeedsRemoteCode, "someone/model")
    assert NeedsRemoteCode.calls == [False]
    assert from_pretrained(NeedsRemoteCode, "someone/model", trust_remote_code=True) == "loaded"
    # A local folder: a run's own saved code, loaded as before.
    assert from_pretrained(NeedsRemoteCode, str(tmp_path)) == "loaded"
    assert NeedsRemoteCode.calls == [False, False, True, False, True]
