"""The docs' architecture page matches the code: its module map names every module and package of seqclf_hf/, and
every path it names exists. models/ files may be named by pattern (`configuration_<family>.py`)."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "seqclf_hf"
ARCHITECTURE = REPO / "docs" / "architecture.md"


def module_map() -> set[str]:
    """The `seqclf_hf/...` paths the module map section of docs/architecture.md names."""
    section = ARCHITECTURE.read_text().split("## Module map", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"`(seqclf_hf/[\w/<>.-]*)`", section))


def code_modules() -> list[str]:
    """Every module (`.py` file but `__init__.py`) and package (a folder with `__init__.py`) under seqclf_hf/, as
    repository paths; a package ends with `/`."""
    files = [path for path in PACKAGE.rglob("*.py") if path.name != "__init__.py"]
    packages = [path.parent for path in PACKAGE.rglob("__init__.py") if path.parent != PACKAGE]
    paths = [path.relative_to(REPO).as_posix() for path in files]
    return sorted(paths + [f"{path.relative_to(REPO).as_posix()}/" for path in packages])


def as_regex(documented: str) -> re.Pattern:
    """A documented path as a pattern: `<placeholder>` stands for any name."""
    parts = re.split(r"<\w+>", documented)
    return re.compile(r"\w+".join(re.escape(part) for part in parts))


def test_every_module_is_in_the_module_map():
    patterns = [as_regex(documented) for documented in module_map()]
    missing = [module for module in code_modules() if not any(p.fullmatch(module) for p in patterns)]
    assert not missing, f"docs/architecture.md's module map does not name: {', '.join(missing)}"


def test_every_path_in_the_module_map_exists():
    paths = [PACKAGE, *PACKAGE.rglob("*")]
    existing = {path.relative_to(REPO).as_posix() for path in paths if "__pycache__" not in path.parts}
    existing |= {f"{path}/" for path in existing if (REPO / path).is_dir()}
    gone = [doc for doc in sorted(module_map()) if not any(as_regex(doc).fullmatch(path) for path in existing)]
    assert not gone, f"docs/architecture.md's module map names paths that do not exist: {', '.join(gone)}"
