"""Which package may import which, read from the code's imports (lazy ones inside functions included): reports read
run files without the runner, suites do not reach up into reports, the run-directory reader stays below both, and the
models package takes from the zoo its weights directory only. (wings_ref naming no iitbench module:
tests/wings_ref/train/test_train_callbacks.py.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "iitbench"


def imports_of(path: Path) -> set[str]:
    """Every module an `import` or `from ... import` of `path` names, and `module.name` for each name it takes
    (iitbench imports absolutely; a relative import would show as a bare name and fail the walls' test below)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def offenders(package: str, forbidden: str) -> list[str]:
    files = [ROOT / f"{package}.py"] if (ROOT / f"{package}.py").is_file() else sorted((ROOT / package).rglob("*.py"))
    return [f"{p.relative_to(ROOT.parent)}: {m}" for p in files for m in sorted(imports_of(p))
            if m == forbidden or m.startswith(forbidden + ".")]


@pytest.mark.parametrize("package, forbidden", [
    ("report", "iitbench.runner"),  # file names are the schema's, reading is run_files'
    ("mmsuite", "iitbench.report"),
    ("run_files", "iitbench.runner"),
    ("run_files", "iitbench.report"),
    ("zoo/__init__", "iitbench"),  # the models package imports it: it must stay a leaf
])
def test_no_import_crosses_the_wall(package, forbidden):
    assert offenders(package, forbidden) == []


def test_the_models_package_takes_only_the_weights_directory_from_the_zoo():
    used = {m for p in sorted((ROOT / "models").glob("*.py")) for m in imports_of(p) if m.startswith("iitbench.zoo")}
    assert used <= {"iitbench.zoo", "iitbench.zoo.WEIGHTS_DIR"}


def test_the_walls_test_sees_every_import():
    assert "iitbench.schema.SAMPLES_FILE" in imports_of(ROOT / "report" / "inputs.py")
    assert "iitbench.runner.samplelog" in imports_of(ROOT / "api" / "forgetting.py")  # imported inside a function
    assert offenders("models", "iitbench.zoo") == ["iitbench/models/zoo.py: iitbench.zoo",
                                                   "iitbench/models/zoo.py: iitbench.zoo.WEIGHTS_DIR"]
    relative = [p.name for p in ROOT.rglob("*.py") if any(m.startswith(".") for m in imports_of(p))]
    assert relative == []
