"""Loading anything an output_dir holds: a whole model, a peft adapter on its base, a `merged/` model, an export.

What others made is loaded with care: weights from safetensors only (a pickle, `pytorch_model.bin`, can run any code
when it is loaded: refused unless the caller passes `allow_pickle=True`), and the code of a Hub repo only with
`trust_remote_code=True`; a custom family's own code, saved beside its model in a local folder, loads as it is.
"""

import json
from pathlib import Path

from peft import AutoPeftModelForSequenceClassification, PeftModel
from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer, pipeline

from .. import models  # noqa: F401  (registers the custom families with the Auto classes)
from ..errors import ConfigError, first_line
from ..hub_access import hub_reachable
from ..run_layout import ADAPTER_CONFIG, LABELS_FILE, ONNX_FILE, RUN_CONFIG_KEYS, is_adapter, is_onnx_export
from .classifier import Classifier
from .onnx import OnnxClassifier, OnnxModel


def adapter_base(adapter_dir: str | Path) -> str:
    """The base model an adapter was trained on: a folder inside the adapter folder (saved there, by a relative
    path, for families trained from scratch), or the encoder's Hub id or folder as training named it."""
    base = json.loads((Path(adapter_dir) / ADAPTER_CONFIG).read_text())["base_model_name_or_path"]
    inside = Path(adapter_dir) / base
    return str(inside) if not Path(base).is_absolute() and inside.is_dir() else base


def load_config(source: str | Path, trust_remote_code: bool = False):
    """config.json of a whole model; for a peft adapter (which has none), its base model's."""
    return from_pretrained(AutoConfig, adapter_base(source) if is_adapter(source) else source, trust_remote_code)


def from_pretrained(loader, source, trust_remote_code: bool = False, **kwargs):
    """`loader.from_pretrained`, first with the families seqclf_hf registers; for a custom family where seqclf_hf is
    not importable, with the code saved beside the model: always from a local folder (a run's own code), from a Hub
    repo only when the caller trusts it (`trust_remote_code`)."""
    try:  # trust_remote_code=False fails at once (no prompt) when the family is not registered
        return loader.from_pretrained(source, trust_remote_code=False, **kwargs)
    except (OSError, ValueError) as error:
        if not (trust_remote_code or Path(source).is_dir()):
            if "trust_remote_code" in str(error):
                raise ConfigError(
                    f"{source} runs code from its Hub repo to load ({first_line(error)}). Read that code first; "
                    "load it only if you trust it, with --trust_remote_code."
                ) from error
            raise
        try:
            return loader.from_pretrained(source, trust_remote_code=True, **kwargs)
        except Exception:
            raise error from None


def refuse_pickle(source: str) -> None:
    """A local folder whose weights are only a pickle (`*.bin`): loading one can run any code it holds."""
    folder = Path(source)
    if folder.is_dir() and not any(folder.glob("*.safetensors")) and (pickles := sorted(folder.glob("*.bin"))):
        raise ConfigError(
            f"{source} holds its weights only as a pickle ({pickles[0].name}), which can run any code when loaded. "
            "Save it as safetensors, or, if you trust who made it, pass --allow_pickle (the Space: "
            "SEQCLF_ALLOW_PICKLE=1)."
        )


def load_model(source: str | Path, allow_pickle: bool = False, trust_remote_code: bool = False):
    """The classifier `source` holds, in eval mode; an adapter on its base model, with the trained labels. Weights
    from safetensors only unless `allow_pickle`; a Hub repo's code only with `trust_remote_code`."""
    source = str(source)
    if not allow_pickle:
        refuse_pickle(source)
    # A Hub repo with only a pickle fails to load rather than falling back to it.
    weights = {"use_safetensors": None if allow_pickle else True}
    if not is_adapter(source):
        return from_pretrained(AutoModelForSequenceClassification, source, trust_remote_code, **weights).eval()
    saved = json.loads((Path(source) / LABELS_FILE).read_text())
    # {"labels", "problem_type"}; adapters saved before problem types hold the label list alone.
    labels, problem_type = (saved, None) if isinstance(saved, list) else (saved["labels"], saved["problem_type"])
    id2label = dict(enumerate(labels))
    label_maps = {"id2label": id2label, "label2id": {label: i for i, label in id2label.items()}}
    label_maps["problem_type"] = problem_type
    base = adapter_base(source)
    if Path(base).is_dir() and Path(base).is_relative_to(Path(source)):  # saved with the adapter
        if not allow_pickle:
            refuse_pickle(base)
        base_model = from_pretrained(AutoModelForSequenceClassification, base, trust_remote_code, **label_maps)
        model = PeftModel.from_pretrained(base_model, source)
    else:
        model = AutoPeftModelForSequenceClassification.from_pretrained(source, **label_maps)
    for key in RUN_CONFIG_KEYS:  # set after loading: a model class takes no keyword it does not know
        if key in saved:
            setattr(model.config, key, saved[key])
    return model.eval()


def load_tokenizer(source: str | Path, trust_remote_code: bool = False):
    tokenizer = from_pretrained(AutoTokenizer, str(source), trust_remote_code)
    tokenizer.padding_side = "right"  # recurrent models read real tokens first
    return tokenizer


def classification_pipeline(source: str | Path, **kwargs):
    """pipeline("text-classification") for what a run saved: a whole model, or an adapter with its base."""
    return pipeline("text-classification", model=load_model(source), tokenizer=load_tokenizer(source), **kwargs)


def load_classifier(source: str | Path, *, allow_pickle: bool = False, trust_remote_code: bool = False) -> Classifier:
    """A `Classifier` for an output_dir (whole model or adapter), a `merged/` folder, or a Hub id; an `OnnxClassifier`
    for a folder `seqclf_hf.export` wrote. Weights from safetensors only unless `allow_pickle`; a Hub repo's code
    only with `trust_remote_code`.

    A path that is not there fails at once rather than as a bad Hub id; without a network a Hub id loads from the
    local cache or fails at once (seqclf_hf.hub_access), with a message saying so.
    """
    trust = {"allow_pickle": allow_pickle, "trust_remote_code": trust_remote_code}
    path = Path(source).expanduser()
    if path.exists():
        return load_classifier_from(str(path), **trust)
    if str(source).startswith(("/", ".", "~")) or str(source).count("/") != 1:
        raise FileNotFoundError(f"no such folder {str(source)!r} (a Hub id looks like user/model)")
    offline = not hub_reachable()
    try:
        return load_classifier_from(str(source), **trust)
    except OSError as error:
        if not offline:
            raise
        raise OSError(
            f"no local folder {str(source)!r}, and as a Hub id it is not in the local cache (the Hub is unreachable)"
        ) from error


def load_classifier_from(source: str, allow_pickle: bool, trust_remote_code: bool) -> Classifier:
    """A `Classifier` for a local folder or Hub id; an `OnnxClassifier` for a folder `seqclf_hf.export` wrote."""
    if is_onnx_export(source):
        model = OnnxModel(Path(source) / ONNX_FILE, load_config(source, trust_remote_code))
        return OnnxClassifier(str(source), model, load_tokenizer(source, trust_remote_code))
    model = load_model(source, allow_pickle, trust_remote_code)
    for parameter in model.parameters():
        parameter.requires_grad_(False)  # explain() needs a gradient at the embeddings only
    return Classifier(source, model, load_tokenizer(source, trust_remote_code))
