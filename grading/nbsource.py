"""Write nbgrader source notebooks (solutions/<a>/<a>.ipynb) from plain Python cell lists.

The assignments were first written as the cell lists in grading/sources/<a>.py, which read and
diff better than JSON; ``python grading/build_sources.py`` turns them into the source notebooks.
The notebooks in solutions/ are the nbgrader source of truth: you may edit them in Jupyter with
nbgrader's "Create Assignment" toolbar instead, but then edit the cell list too (or delete it).

Cell kinds (nbgrader metadata, schema 3):
    md(text)                      plain markdown, no metadata (free to edit)
    setup(gid, src)               read-only code (locked), e.g. the Colab install and imports
    answer(gid, src)              an autograded answer cell (### BEGIN/END SOLUTION inside)
    tests(gid, points, src)       a locked test cell worth ``points`` (### BEGIN/END HIDDEN TESTS)
    free(src)                     an ordinary code cell (scratch, demos)
"""

from __future__ import annotations

import textwrap

import nbformat

COLAB_INSTALL = '''\
# Installs cnnlab when this notebook runs on Google Colab; does nothing anywhere else.
import subprocess
import sys

if "google.colab" in sys.modules:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "cnnlab[torch] @ git+https://github.com/cnnlab/cnnlab"], check=True)'''


def _src(text: str) -> str:
    return textwrap.dedent(text).strip("\n")


def md(text: str) -> dict:
    return {"kind": "md", "source": _src(text)}


def free(src: str) -> dict:
    return {"kind": "free", "source": _src(src)}


def setup(gid: str, src: str) -> dict:
    return {"kind": "setup", "gid": gid, "source": _src(src)}


def answer(gid: str, src: str) -> dict:
    return {"kind": "answer", "gid": gid, "source": _src(src)}


def tests(gid: str, points: int, src: str) -> dict:
    return {"kind": "tests", "gid": gid, "points": points, "source": _src(src)}


def _meta(**kw) -> dict:
    base = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
    base.update(kw)
    return {"nbgrader": base}


def build(name: str, cells: list[dict]) -> nbformat.NotebookNode:
    """An nbformat 4.5 notebook with stable cell ids and nbgrader metadata."""
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    out = []
    md_count = free_count = 0
    for c in cells:
        kind = c["kind"]
        if kind == "md":
            md_count += 1
            cell = nbformat.v4.new_markdown_cell(c["source"])
            cell.id = f"{name}-md-{md_count:02d}"
        elif kind == "free":
            free_count += 1
            cell = nbformat.v4.new_code_cell(c["source"])
            cell.id = f"{name}-code-{free_count:02d}"
        else:
            cell = nbformat.v4.new_code_cell(c["source"])
            cell.id = c["gid"]
            if kind == "setup":
                cell.metadata = _meta(grade_id=c["gid"], locked=True)
            elif kind == "answer":
                cell.metadata = _meta(grade_id=c["gid"], solution=True)
            elif kind == "tests":
                cell.metadata = _meta(grade_id=c["gid"], grade=True, locked=True, points=c["points"])
            else:
                raise ValueError(f"unknown cell kind {kind!r}")
        out.append(cell)
    nb.cells = out
    nbformat.validate(nb)
    return nb
