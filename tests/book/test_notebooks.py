"""Each MyST chapter has a committed, up-to-date .ipynb twin (Colab opens only .ipynb files)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from helpers.book import ROOT, SYNC_HINT, first_difference, myst_chapters, read_cells

pytestmark = pytest.mark.book

CHAPTERS = myst_chapters()
COLAB_CELL = 'if "google.colab" in sys.modules:  # on Colab: install cnnlab; elsewhere this cell does nothing'


def test_there_are_chapters():
    assert len(CHAPTERS) >= 6, f"expected the MyST chapters in book/, found {[p.name for p in CHAPTERS]}"


@pytest.mark.parametrize("md", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_paired_notebook_is_up_to_date(md):
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.relative_to(ROOT)} is missing; " + SYNC_HINT.format(md=md.relative_to(ROOT))
    want, have = read_cells(md), read_cells(ipynb)
    assert have == want, (f"{ipynb.relative_to(ROOT)} is out of date with {md.name} "
                          f"({first_difference(want, have)}); " + SYNC_HINT.format(md=md.relative_to(ROOT)))


@pytest.mark.parametrize("md", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_paired_notebook_has_no_outputs_and_a_python_kernel(md):
    nbformat = pytest.importorskip("nbformat")
    if not md.with_suffix(".ipynb").exists():
        pytest.skip(f"{md.stem}.ipynb is missing (test_paired_notebook_is_up_to_date reports it)")
    nb = nbformat.read(md.with_suffix(".ipynb"), as_version=4)
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not with_outputs, f"{md.stem}.ipynb is committed with outputs in cells {with_outputs}"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{md.stem}.ipynb: kernel is not python3"


@pytest.mark.parametrize("md", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_opens_with_the_colab_install_cell(md):
    kind, source, tags = next(c for c in read_cells(md) if c[0] == "code")
    assert COLAB_CELL in source and "cnnlab[torch] @ git+" in source, \
        f"{md.name}: the first code cell must be the Colab install cell"
    assert "hide-cell" in tags, f"{md.name}: the Colab install cell must be tagged hide-cell"


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
@pytest.mark.parametrize("md", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_paired_notebook_is_committed(md):
    rel = md.with_suffix(".ipynb").relative_to(ROOT).as_posix()
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", rel], cwd=ROOT, capture_output=True)
    assert tracked.returncode == 0, f"{rel} is not committed: Colab reads it from the repository"
