"""Parameter-efficient fine-tuning with `peft`: LoRA, prefix tuning, prompt tuning, and a head-only mode.

lora / prefix / prompt wrap the model in a `PeftModelForSequenceClassification` (task SEQ_CLS): the backbone is frozen,
the adapter and the whole `classifier` head are trained, and `save_pretrained` writes both as the adapter. head freezes
everything but `classifier` and stays an ordinary model, saved whole.

An adapter output_dir holds, besides the adapter and the tokenizer:
- `labels.json`: the label names in id order, the problem type (and a multi-label run's threshold), which the base
  model's own config does not have: without them it loads with a head of the wrong size, or scores it as the wrong
  task. `seqclf_hf.inference.load_model` passes them to peft.
- `base/` (families trained from scratch): the frozen random weights the adapter was trained on, saved nowhere else;
  adapter_config.json's base_model_name_or_path is `base`, a path relative to the adapter folder.
- `merged/` (`--merge_lora true`): the LoRA update merged into the weights, a plain transformers model.
"""

import copy
import json
from pathlib import Path

from peft import (
    LoraConfig,
    PeftModel,
    PrefixTuningConfig,
    PromptTuningConfig,
    TaskType,
    get_peft_model,
)
from torch import nn
from transformers.pytorch_utils import Conv1D

from .arguments import PeftArguments
from .errors import ModelSetupError
from .models import PRETRAINED_FAMILY
from .run_layout import ADAPTER_CONFIG, BASE_DIR, LABELS_FILE, MERGED_DIR, RUN_CONFIG_KEYS

# The layer types peft's LoRA wraps that these models use (Conv1D: GPT-2-style pretrained encoders).
LORA_LAYERS = (nn.Linear, nn.Embedding, nn.Conv1d, Conv1D)
HEAD = "classifier"


def lora_layers(model: nn.Module) -> list[str]:
    """Full names of the layers LoRA can wrap, the head left out: SEQ_CLS trains it in full."""
    return [
        name
        for name, module in model.named_modules()
        if isinstance(module, LORA_LAYERS) and name != HEAD and not name.startswith(f"{HEAD}.")
    ]


def short_name(name: str) -> str:
    """How --lora_target_modules names a layer: "layers.0.attention.query" -> "query", "convs.1" -> "convs.1"."""
    parts = name.split(".")
    return ".".join(parts[-2:]) if parts[-1].isdigit() else parts[-1]


def check_lora_targets(model: nn.Module, targets: list[str], family: str) -> None:
    """Each target must name (like peft: the full name or its ending) only layers LoRA can wrap."""
    wrappable = set(lora_layers(model))
    for target in targets:
        matched = [name for name, _ in model.named_modules() if name == target or name.endswith(f".{target}")]
        wrong = [name for name in matched if name not in wrappable]
        if matched and not wrong:
            continue
        if not matched:
            problem = "names no layer of this model"
        elif wrong[0] == HEAD or wrong[0].startswith(f"{HEAD}."):
            problem = f"names the {HEAD} head, which is trained in full already"
        else:
            problem = f"names {wrong[0]!r}, a {type(model.get_submodule(wrong[0])).__name__}, which LoRA cannot wrap"
        names = ", ".join(dict.fromkeys(short_name(name) for name in wrappable))
        raise ModelSetupError(
            f"--lora_target_modules {target!r} {problem}. peft's LoRA adapts Linear, Embedding and Conv1d layers, "
            f"not nn.LSTM / nn.GRU / nn.RNN; in {family} those are: {names}."
        )


def apply_peft(model, peft_args: PeftArguments, family: str):
    """The model ready for training as `peft_args` asks (validate_options checked them): unchanged, head-only, or
    wrapped in a peft adapter."""
    if peft_args.peft == "none":
        return model
    if peft_args.peft == "head":
        # The custom families have no separate backbone (base_model is the model itself): freeze all, free the head.
        model.base_model.requires_grad_(False)
        getattr(model, HEAD).requires_grad_(True)
        return model
    if peft_args.peft == "lora":
        targets = peft_args.lora_target_modules
        if targets is None and family != PRETRAINED_FAMILY:  # peft only knows defaults for Hub model types
            targets = lora_layers(model)
        if targets is not None:
            check_lora_targets(model, targets, family)
        config = LoraConfig(
            task_type=TaskType.SEQ_CLS,
            r=peft_args.lora_r,
            lora_alpha=peft_args.lora_alpha,
            lora_dropout=peft_args.lora_dropout,
            target_modules=targets,
        )
    else:
        config_class = PrefixTuningConfig if peft_args.peft == "prefix" else PromptTuningConfig
        config = config_class(task_type=TaskType.SEQ_CLS, num_virtual_tokens=peft_args.num_virtual_tokens)
    return get_peft_model(model, config)


def save_peft_outputs(model, tokenizer, output_dir: str, merge_lora: bool) -> None:
    """After `Trainer.save_model` wrote the adapter and tokenizer: labels, base weights and merged model, as needed."""
    if not isinstance(model, PeftModel):
        return
    output_dir = Path(output_dir)
    config = model.get_base_model().config
    labels = [config.id2label[i] for i in range(len(config.id2label))]
    saved = {"labels": labels, "problem_type": config.problem_type}
    saved.update({key: getattr(config, key) for key in RUN_CONFIG_KEYS if getattr(config, key, None) is not None})
    (output_dir / LABELS_FILE).write_text(json.dumps(saved, indent=2) + "\n")
    if not model.peft_config[model.active_adapter].base_model_name_or_path:  # from scratch: the base is only in memory
        base_dir = output_dir / BASE_DIR
        copy.deepcopy(model).unload().save_pretrained(base_dir)
        tokenizer.save_pretrained(base_dir)
        # Relative to the adapter folder, so the folder can move or be pushed; seqclf_hf.inference resolves it.
        adapter_config = json.loads((output_dir / ADAPTER_CONFIG).read_text())
        adapter_config["base_model_name_or_path"] = BASE_DIR
        (output_dir / ADAPTER_CONFIG).write_text(json.dumps(adapter_config, indent=2, sort_keys=True) + "\n")
    if merge_lora:
        merged_dir = output_dir / MERGED_DIR
        copy.deepcopy(model).merge_and_unload().save_pretrained(merged_dir)
        tokenizer.save_pretrained(merged_dir)
