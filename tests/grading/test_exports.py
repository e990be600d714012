"""cnnlab.grading: every name a released notebook imports is still there."""

from __future__ import annotations

import ast
import json

import pytest
from helpers.grading import REPO

import cnnlab.grading

pytestmark = pytest.mark.grading


def _imported_names() -> set[str]:
    names = set()
    for path in sorted((REPO / "exercises").glob("*/*.ipynb")) + sorted((REPO / "solutions").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] != "code":
                continue
            source = "".join(cell["source"])
            try:
                tree = ast.parse("\n".join(l for l in source.split("\n") if not l.lstrip().startswith(("!", "%"))))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module == "cnnlab.grading":
                    names |= {a.name for a in node.names}
    return names


def test_released_notebooks_imports_resolve():
    names = _imported_names()
    assert {"Case", "check_function", "GradingError", "begin_cell", "cell_passed"} <= names
    missing = [n for n in names if not hasattr(cnnlab.grading, n)]
    assert not missing
    assert set(cnnlab.grading.__all__) >= names


def test_import_does_not_import_torch():
    import subprocess
    import sys
    code = "import sys, cnnlab.grading; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "False", out.stderr
