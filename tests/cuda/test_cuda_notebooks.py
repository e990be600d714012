"""On a CUDA GPU: every lab solution end to end and the training code of chapters 10-13.

The code cells are read as plain JSON (.ipynb) or text (MyST .md) and executed in order in one
namespace, so neither nbformat, nbclient, jupytext nor a kernel is needed: a GPU machine with only
torch, numpy, matplotlib, scikit-learn, tqdm and pytest runs them. ``get_device()`` picks CUDA
there, so every ``fit``/``train`` in them runs on the GPU. The labs' optional real-data sections
are switched off (CNNLAB_REAL_DATA=0): nothing downloads in tests.
"""

import json
import re
import sys
import types
from pathlib import Path

import pytest

pytestmark = [pytest.mark.torch, pytest.mark.cuda, pytest.mark.slow]
torch = pytest.importorskip("torch")

REPO = Path(__file__).resolve().parents[2]
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.S | re.M)


def _md_code(path: Path) -> list[str]:
    """The code cells of a MyST notebook, without their option lines (``:tags: ...``, ``---`` blocks)."""
    cells = []
    for body in CELL.findall(path.read_text(encoding="utf-8")):
        lines = body.splitlines()
        if lines and lines[0].strip() == "---":
            end = lines.index("---", 1) if "---" in lines[1:] else 0
            lines = lines[end + 1:]
        while lines and lines[0].startswith(":"):
            lines = lines[1:]
        cells.append("\n".join(lines))
    return cells


def _ipynb_code(path: Path) -> list[str]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def _run(cells: list[str], name: str) -> dict:
    scope: dict = {"__name__": "__main__"}
    for i, source in enumerate(cells):
        source = "\n".join(l for l in source.splitlines() if not l.lstrip().startswith(("%", "!")))  # noqa: E741
        exec(compile(source, f"{name} cell {i}", "exec"), scope)
    return scope


@pytest.fixture
def notebook_env(monkeypatch, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    monkeypatch.setenv("CNNLAB_REAL_DATA", "0")
    monkeypatch.setenv("CNNLAB_DATA", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    try:
        import myst_nb  # noqa: F401
    except ImportError:                # the book's glue, where the book's tools are not installed
        stub = types.ModuleType("myst_nb")
        stub.glue = lambda *args, **kwargs: None
        monkeypatch.setitem(sys.modules, "myst_nb", stub)


@pytest.mark.parametrize("lab", ["lab1", "lab2"])
def test_lab_solution_end_to_end(lab, notebook_env, capsys):
    scope = _run(_ipynb_code(REPO / "solutions" / lab / f"{lab}.ipynb"), lab)
    assert scope["device"].type == "cuda"
    out = capsys.readouterr().out
    assert out.count("tests passed") >= 5, out[-2000:]


@pytest.mark.parametrize("chapter", ["10_architectures", "11_training", "12_transfer", "13_autoencoders"])
def test_chapter_training_code(chapter, notebook_env):
    from cnnlab.train import get_device

    assert get_device().type == "cuda"
    cells = _md_code(REPO / "book" / f"{chapter}.md")
    assert len(cells) > 5
    _run(cells, chapter)
