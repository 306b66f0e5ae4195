"""Export a trained model to ONNX, optionally int8, as a folder `load_classifier` serves with onnxruntime.

seqclf-hf export MODEL_DIR --onnx [--int8] [--output DIR] [--overwrite]

MODEL_DIR is an output_dir of recipes/train.py (any family), its `merged/` LoRA model, or a fine-tuned encoder folder.
The export folder holds `model.onnx` (inputs `input_ids`, `attention_mask` and, where the tokenizer gives them,
`token_type_ids`, any batch size and length; output `logits`), the config (labels) and the tokenizer. The graph
comes from `torch.onnx.export(dynamo=True)`: optimum-onnx
requires transformers < 4.58, and the TorchScript exporter fixes the recurrent graphs to the example's shape.
"""

import contextlib
import logging
import shutil
import warnings
from pathlib import Path

import torch

from .cli import CommandParser
from .errors import ConfigError
from .inference import import_optional, load_classifier
from .output_dir import OutputPlan, check_writable, holds_files, publish
from .run_layout import (
    CONFIG_FILE,
    INCOMPLETE_SUFFIX,
    MERGED_DIR,
    ONNX_DIR,
    ONNX_FILE,
    ONNX_INT8_DIR,
    beside,
    is_adapter,
    is_onnx_export,
)

# Two texts of different lengths: the example batch is padded, so the graph is traced with a real attention mask.
# (torch.export would fix an axis whose example size is 1, hence two texts of two tokens or more.)
EXAMPLE_TEXTS = ["What does the abbreviation NASA stand for ?", "Who is it ?"]
# token_type_ids where the tokenizer gives them (BERT): they tell the two texts of a pair apart.
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids"]


# What torch.onnx and onnxruntime print on every export that a seqclf-hf user can neither act on nor needs to know:
# (logger name, the start of its message) and (warning category, a regex of its message).
IDLE_LOG_RECORDS = [
    # torch.onnx registers torchvision's detection ops when it can; a text classifier uses none of them.
    ("torch.onnx._internal.exporter._registration", "torchvision is not installed"),
    # onnxruntime's advice to run its pre-processing (shape inference, graph fusions) first: quantize_int8 picked its
    # ops knowingly, and the int8 graph's accuracy and speed are measured (docs: the performance page).
    (None, "Please consider to run pre-processing before quantization"),  # logging.warning: the root logger
]
IDLE_WARNINGS = [
    # torch.export names a dynamic axis once; attention_mask's axes are the same Dims as input_ids', already named.
    (UserWarning, r"# The axis name: \w+ will not be used, since it shares the same shape constraints"),
    # torch's own pytree code calling its deprecated LeafSpec check while exporting.
    (FutureWarning, r"`isinstance\(treespec, LeafSpec\)` is deprecated"),
]


class DropMessages(logging.Filter):
    def __init__(self, start: str):
        super().__init__()
        self.start = start

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(self.start)


@contextlib.contextmanager
def idle_messages_dropped():
    """While exporting: the exporters' messages in IDLE_LOG_RECORDS and IDLE_WARNINGS are not shown, all others are."""
    filters = [(logging.getLogger(name), DropMessages(start)) for name, start in IDLE_LOG_RECORDS]
    with warnings.catch_warnings():
        for category, message in IDLE_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        for logger, drop in filters:
            logger.addFilter(drop)
        try:
            yield
        finally:
            for logger, drop in filters:
                logger.removeFilter(drop)


class Logits(torch.nn.Module):
    """The model as the graph sees it: (input_ids, attention_mask[, token_type_ids]) -> logits."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids=None):
        types = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        return self.model(input_ids=input_ids, attention_mask=attention_mask, **types).logits


def check_model_dir(model_dir: Path) -> None:
    if not model_dir.is_dir():
        raise ConfigError(f"{model_dir} is not a folder. Give an output_dir of recipes/train.py.")
    if is_onnx_export(model_dir):
        raise ConfigError(f"{model_dir} is already an ONNX export. Give the trained model folder it came from.")
    if is_adapter(model_dir):
        raise ConfigError(
            f"{model_dir} holds a peft adapter, which has no graph of its own. Export the merged LoRA model "
            f"({model_dir / MERGED_DIR}) instead."
        )
    if not (model_dir / CONFIG_FILE).is_file():
        raise ConfigError(
            f"{model_dir} holds no model (no config.json). Give an output_dir of recipes/train.py, its merged/ "
            "folder, or a fine-tuned encoder folder."
        )


def prepare_output(output: Path, overwrite: bool) -> Path:
    """The folder to write into, beside `output`: a failed export leaves `output` as it was."""
    if holds_files(output) and not overwrite:
        raise ConfigError(
            f"{output} already holds files. Pass --overwrite to replace them, or choose another --output."
        )
    check_writable(output)
    work_dir = beside(output, INCOMPLETE_SUFFIX)
    if work_dir.exists():  # left by an export that did not finish
        shutil.rmtree(work_dir)
    work_dir.mkdir(parents=True)
    return work_dir


def write_onnx(classifier, path: Path) -> None:
    # Eager attention (matmul, softmax, matmul) makes a leaner graph than torch.export's SDPA decomposition, which
    # adds masking ops and transposes, and serves more questions/s (docs: the performance page).
    classifier.model.set_attn_implementation("eager")
    example = classifier.tensors(classifier.encode(EXAMPLE_TEXTS))
    names = [name for name in INPUT_NAMES if name in example]
    axes = {0: torch.export.Dim("batch"), 1: torch.export.Dim("sequence")}
    # torch.onnx turns LSTM and GRU into graph loops by swapping the ops' Python kernels without clearing their
    # dispatch caches: a second export in one process would get the unrolled kernels, fixed to the example's length.
    for op in (torch.ops.aten.lstm.input, torch.ops.aten.gru.input):
        op._dispatch_cache.clear()
    torch.onnx.export(
        Logits(classifier.model).eval(),  # a new module is in training mode: the exporter would warn about it
        tuple(example[name] for name in names),
        str(path),
        input_names=names,
        output_names=["logits"],
        dynamic_shapes={name: axes for name in names},
        dynamo=True,
        external_data=False,  # one file; a model past protobuf's 2 GB limit would need the data beside it
        verbose=False,
    )


def quantize_int8(path: Path) -> None:
    """Replace the graph at `path` by its int8 version (weights int8, activations quantized on the fly)."""
    quantization = import_optional("onnxruntime.quantization")
    # The ops onnxruntime quantizes dynamically but two, with a scale per output channel. Not Conv: its ConvInteger
    # kernel is slower than the float Conv on x86. Not Gather, the embedding lookup: int8 embeddings cost accuracy
    # (docs: the performance page has both measurements).
    registry = import_optional("onnxruntime.quantization.registry").IntegerOpsRegistry
    ops = [op for op in registry if op not in ("Conv", "Gather")]
    fp32 = path.with_suffix(".fp32.onnx")
    path.rename(fp32)
    quantization.quantize_dynamic(
        str(fp32), str(path), weight_type=quantization.QuantType.QInt8, op_types_to_quantize=ops, per_channel=True
    )
    fp32.unlink()


def export_onnx(model_dir, output=None, int8: bool = False, overwrite: bool = False) -> Path:
    """Export `model_dir` to `output` (default: MODEL_DIR/onnx, or MODEL_DIR/onnx-int8 with int8); returns it."""
    for module in ("onnx", "onnxscript", "onnxruntime"):
        import_optional(module)
    model_dir = Path(model_dir)
    check_model_dir(model_dir)
    output = Path(output) if output else model_dir / (ONNX_INT8_DIR if int8 else ONNX_DIR)
    work_dir = prepare_output(output, overwrite)
    try:
        classifier = load_classifier(model_dir)
        with idle_messages_dropped():
            write_onnx(classifier, work_dir / ONNX_FILE)
            if int8:
                quantize_int8(work_dir / ONNX_FILE)
        classifier.config.save_pretrained(work_dir)
        classifier.tokenizer.save_pretrained(work_dir)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    if output.exists():
        publish(OutputPlan(output, work_dir, resume=None))
    else:
        work_dir.rename(output)
    return output


def main(argv: list[str] | None = None, prog: str = "seqclf-hf export") -> None:
    parser = CommandParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument(
        "model_dir", help="an output_dir of recipes/train.py, its merged/ folder, or an encoder folder"
    )
    parser.add_argument("--onnx", action="store_true", help="export to ONNX (the one format so far)")
    parser.add_argument("--int8", action="store_true", help="quantize the weights to int8 (onnxruntime, dynamic)")
    parser.add_argument("--output", help="the export folder (default: MODEL_DIR/onnx, or MODEL_DIR/onnx-int8)")
    parser.add_argument("--overwrite", action="store_true", help="replace an --output folder that holds files")
    args = parser.parse_args(argv)
    if not args.onnx:
        parser.error("name the format: --onnx (the one format so far)")
    output = export_onnx(args.model_dir, args.output, int8=args.int8, overwrite=args.overwrite)
    print(f"Exported {args.model_dir} to {output}: seqclf_hf.inference.load_classifier({str(output)!r}) serves it.")


if __name__ == "__main__":
    from .cli import run_command  # user errors are answered in one place, as for `seqclf-hf export`

    run_command("export")
