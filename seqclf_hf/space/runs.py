"""The Space's models: the finished runs of a folder, each loaded and warmed up, by a unique display name."""

import logging
import time
from pathlib import Path

from ..errors import first_line
from ..inference import Classifier, load_classifier
from ..run_layout import CONFIG_FILE, INCOMPLETE_SUFFIX, REPLACED_SUFFIX, is_adapter, is_onnx_export

logger = logging.getLogger(__name__)


def finished_runs(folder: str | Path) -> list[Path]:
    """The output_dirs in `folder` that `load_classifier` loads, by name: whole models (config.json) and peft adapters,
    each followed by the ONNX exports inside it (`seqclf_hf.export` writes `onnx/`, `onnx-int8/` there). A run or
    export still being written (`<name>.incomplete`), or one it is replacing (`<name>.replaced`, for a moment), is
    left out."""
    runs = [path for path in finished(Path(folder)) if (path / CONFIG_FILE).is_file() or is_adapter(path)]
    return [found for run in runs for found in (run, *filter(is_onnx_export, finished(run)))]


def finished(folder: Path) -> list[Path]:
    """The folders in `folder`, by name, but those being written or replaced."""
    return [
        path
        for path in sorted(folder.glob("*"))
        if path.is_dir() and not path.name.endswith((INCOMPLETE_SUFFIX, REPLACED_SUFFIX))
    ]


def load_classifiers(
    sources: list[str], warm_up_text: str, **trust
) -> tuple[dict[str, Classifier], list[tuple[str, str]]]:
    """The sources that load (each run once on `warm_up_text`, which builds caches and proves that it runs), by a
    unique display name, and (source, first line of the error) for the others: one bad source must not take the
    others down. `trust`: `load_classifier`'s allow_pickle and trust_remote_code."""
    classifiers, errors = {}, []
    for source in sources:
        started = time.perf_counter()
        try:
            classifier = load_classifier(source, **trust)
            classifier.predict(warm_up_text)
        except Exception as error:
            message = first_line(error)
            errors.append((source, message))
            logger.error("Could not load %s: %s", source, message)
            continue
        name = display_name(source, set(classifiers))
        classifiers[name] = classifier
        logger.info("Loaded %s from %s in %.1f s", name, source, time.perf_counter() - started)
    return classifiers, errors


def display_name(source: str, taken: set[str]) -> str:
    """A folder's name (an export: `run/onnx`), or the Hub id; numbered when `taken` has it already."""
    path, name = Path(source).resolve(), source
    if path.exists():
        name = f"{path.parent.name}/{path.name}" if is_onnx_export(path) else path.name
    unique, number = name, 2
    while unique in taken:
        unique, number = f"{name} ({number})", number + 1
    return unique
