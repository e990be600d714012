"""The student release and `nbgrader validate`.

exercises/ must be exactly what `nbgrader generate_assignment` makes of solutions/ (the grading
tests regenerate each assignment in their temporary course and compare byte for byte as JSON);
here: the two trees hold the same assignments, nothing of the solutions leaks into the release,
notebooks are committed without outputs, every notebook opens with the Colab install cell, and
every full solution passes `nbgrader validate` (one call for all assignments).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers.grading import REPO, full_submission

pytestmark = [pytest.mark.grading]
ASSIGNMENTS = ["a1", "a2", "a3", "a4", "lab1", "lab2"]


def test_release_holds_every_assignment_and_nothing_else():
    assert sorted(p.name for p in (REPO / "solutions").iterdir() if p.is_dir()) == sorted(ASSIGNMENTS)
    assert sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir()) == sorted(ASSIGNMENTS)
    for a in ASSIGNMENTS:
        files = sorted(p.name for p in (REPO / "exercises" / a).iterdir())
        assert files == sorted(p.name for p in (REPO / "solutions" / a).iterdir()), a


@pytest.mark.parametrize("tree", ["solutions", "exercises"])
@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_notebooks_committed_clean(tree, a):
    nb = json.loads((REPO / tree / a / f"{a}.ipynb").read_text())
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    assert '"google.colab" in sys.modules' in "".join(first_code["source"])
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert c["outputs"] == [] and c["execution_count"] is None, (a, c.get("id"))
        if tree == "exercises":
            src = "".join(c["source"])
            assert "BEGIN SOLUTION" not in src and "HIDDEN TESTS" not in src, (a, c.get("id"))


@pytest.mark.parametrize("a", ASSIGNMENTS)
def test_points_add_up_and_ids_are_unique(a):
    nb = nbformat.read(str(REPO / "solutions" / a / f"{a}.ipynb"), as_version=4)
    meta = [c.metadata["nbgrader"] for c in nb.cells if "nbgrader" in c.metadata]
    ids = [m["grade_id"] for m in meta]
    assert len(ids) == len(set(ids)) and all(i.startswith(a + "_") for i in ids)
    assert sum(m.get("points", 0) for m in meta if m["grade"]) == 20
    # every test cell directly follows (among nbgrader cells) an answer or another test cell,
    # which nbgrader's "add missing cells" needs to put a deleted test cell back in place
    for prev, m in zip(meta, meta[1:]):
        if m["grade"]:
            assert prev["solution"] or prev["grade"], m["grade_id"]


@pytest.mark.slow
def test_every_solution_passes_nbgrader_validate(tmp_path):
    paths = []
    for a in ASSIGNMENTS:
        p = tmp_path / a / f"{a}.ipynb"
        p.parent.mkdir()
        nbformat.write(full_submission(a), str(p))
        paths.append(str(p))
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    exe = Path(sys.executable).with_name("nbgrader")
    proc = subprocess.run([str(exe), "validate", *paths, "--Execute.timeout=300"], cwd=REPO,
                          env=env, capture_output=True, text=True)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    assert out.count("Success! Your notebook passes all the tests.") == len(ASSIGNMENTS), out[-5000:]
