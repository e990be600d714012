"""Helpers shared by the book tests: where things are, and how a page's notebook is compared."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"
REPO_URL = "https://github.com/cnnlab/cnnlab"
COLAB_PREFIX = "https://colab.research.google.com/github/cnnlab/cnnlab/blob/main/"


def is_myst_notebook(md: Path) -> bool:
    """A MyST Markdown file with a jupytext header and a kernel: a notebook page."""
    text = md.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    header = text.split("---", 2)[1]
    return "jupytext" in header and "kernelspec" in header


def myst_chapters() -> list[Path]:
    """Every MyST notebook in book/ (chapters); each needs a paired .ipynb for Colab."""
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


def first_difference(a: list, b: list) -> str:
    """A short human description of where two cell lists differ."""
    if len(a) != len(b):
        return f"{len(a)} cells vs {len(b)} cells"
    for i, (x, y) in enumerate(zip(a, b)):
        if x[:1] != y[:1] or x[2:] != y[2:]:
            return f"cell {i}: {x[0]} {x[2]} vs {y[0]} {y[2]}"
        if x[1] != y[1]:
            k = next((j for j, (c, d) in enumerate(zip(x[1], y[1])) if c != d), min(len(x[1]), len(y[1])))
            return f"cell {i} ({x[0]}) differs at character {k}: {x[1][max(0, k - 30):k + 50]!r} vs {y[1][max(0, k - 30):k + 50]!r}"
    return "identical"


SYNC_HINT = "regenerate it with: .venv/bin/jupytext --update --to ipynb {md}   (then commit the .ipynb)"
