"""Helpers shared by the book tests: where things are, where cnnlab is installed from, and how a
page's notebook is compared.

The install source is read from pyproject.toml through tools/notebooks.py (the generator that
writes it into every file), so the tests and the files they check share one definition.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"


def _load_generator():
    spec = importlib.util.spec_from_file_location("cnnlab_tools_notebooks", ROOT / "tools" / "notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = _load_generator()          # tools/notebooks.py: read_source, generate, sync_sources, ...
SOURCE = GENERATOR.read_source(ROOT)   # repo, docs, version: pyproject.toml, the one place they are set
REPO_URL = SOURCE.repo
BRANCH = re.search(r"(?m)^  branch: (\S+)$", (ROOT / "_config.yml").read_text(encoding="utf-8")).group(1)
COLAB_PREFIX = "https://colab.research.google.com/github/" + REPO_URL.split("github.com/", 1)[-1] + f"/blob/{BRANCH}/"
INSTALL_SPEC = SOURCE.spec("torch")    # cnnlab[torch] @ git+<repo>@v<version>


def is_myst_notebook(md: Path) -> bool:
    """A MyST Markdown file with a jupytext header and a kernel: a notebook page."""
    text = md.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    header = text.split("---", 2)[1]
    return "jupytext" in header and "kernelspec" in header


def myst_chapters() -> list[Path]:
    """Every MyST notebook in book/ (chapters); each has a generated .ipynb for Colab."""
    return sorted(p for p in (ROOT / "book").glob("*.md") if is_myst_notebook(p))


def cells(nb) -> list[tuple[str, str, tuple[str, ...]]]:
    """What a reader sees of a notebook: each cell's type, source and tags (outputs ignored)."""
    return [(c.cell_type, c.source.strip(), tuple(c.get("metadata", {}).get("tags", [])))
            for c in nb.cells]


def read_cells(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    """Cells of a .md (through jupytext) or an .ipynb."""
    import jupytext      # imported here so that collecting the tests never needs the book's tools
    import nbformat

    if path.suffix == ".md":
        return cells(jupytext.read(path))
    return cells(nbformat.read(path, as_version=4))


def code_cells(path: Path) -> list[tuple[str, str, tuple[str, ...]]]:
    return [c for c in read_cells(path) if c[0] == "code"]


def first_difference(a, b) -> str:
    """A short human description of where two cell lists (or two texts) differ."""
    if isinstance(a, str):
        k = next((j for j, (c, d) in enumerate(zip(a, b)) if c != d), min(len(a), len(b)))
        return f"at character {k}: {a[max(0, k - 40):k + 60]!r} vs {b[max(0, k - 40):k + 60]!r}"
    if len(a) != len(b):
        return f"{len(a)} cells vs {len(b)} cells"
    for i, (x, y) in enumerate(zip(a, b)):
        if x[:1] != y[:1] or x[2:] != y[2:]:
            return f"cell {i}: {x[0]} {x[2]} vs {y[0]} {y[2]}"
        if x[1] != y[1]:
            return f"cell {i} ({x[0]}) differs " + first_difference(x[1], y[1])
    return "identical"


SYNC_HINT = "regenerate it with `make notebooks` (.venv/bin/python tools/notebooks.py), then commit it"
