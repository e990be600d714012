"""Put a submission's nbgrader cells back in order before nbgrader looks at them.

Students delete cells, delete an answer together with its test, strip or edit a cell's nbgrader
metadata, change a cell's type, or paste a copy of a graded cell. nbgrader's own repair
(``OverwriteCells.add_missing_cells``) crashes on some of these and the whole notebook goes
ungraded. ``RestoreCells`` runs first in the sanitising pass and makes the notebook consistent with
the release, by grade id:

* a cell whose grade id the release has gets the release's nbgrader metadata and cell type back
  (points, grade, solution, locked, checksum): an edit of the metadata changes nothing;
* a missing cell is inserted from the release (an answer cell as its stub, so that part scores 0;
  a test or read-only cell as released -- nbgrader's OverwriteCells then restores the hidden
  tests from the gradebook). An answer goes right after the nearest earlier cell of the release
  that is present, a test right before the nearest later one;
* a second cell with the same grade id, or one with a grade id the release does not have, loses
  its nbgrader metadata and is run as an ordinary cell.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

RESTORED = "# This cell was missing or altered in the submission; the grader restored it.\n"


def _gid(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader")
    if isinstance(meta, dict) and isinstance(meta.get("grade_id"), str):
        return meta["grade_id"]
    return None


def _is_answer(cell) -> bool:
    return bool(cell.metadata.get("nbgrader", {}).get("solution"))


def restore_cells(nb, release) -> tuple[object, list[str]]:
    """Return (notebook consistent with ``release``, notes on what was restored)."""
    nb = copy.deepcopy(nb)
    ref = {_gid(c): c for c in release.cells if _gid(c)}
    order = [g for g in (_gid(c) for c in release.cells) if g]
    notes: list[str] = []
    seen: set[str] = set()
    for cell in nb.cells:
        gid = _gid(cell)
        if gid is None:
            if "nbgrader" in cell.get("metadata", {}):
                del cell.metadata["nbgrader"]
            continue
        if gid not in ref or gid in seen:
            del cell.metadata["nbgrader"]
            notes.append(f"{gid}: a copy or an unknown grade id, run as an ordinary cell")
            continue
        seen.add(gid)
        want = ref[gid]
        if cell.metadata["nbgrader"] != want.metadata["nbgrader"] or cell.cell_type != want.cell_type:
            notes.append(f"{gid}: its metadata or type was changed; restored")
            if cell.cell_type != want.cell_type:
                src = cell.source
                cell.clear()
                cell.update(copy.deepcopy(want))
                if _is_answer(want):
                    cell.source = src
            cell.metadata["nbgrader"] = copy.deepcopy(want.metadata["nbgrader"])
            for key in ("editable", "deletable"):
                if key in want.metadata:
                    cell.metadata[key] = want.metadata[key]
    present = {_gid(c) for c in nb.cells if _gid(c)}
    for k, gid in enumerate(order):
        if gid in present:
            continue
        new = copy.deepcopy(ref[gid])
        if new.cell_type == "code":
            new.source = RESTORED + new.source
            new.outputs, new.execution_count = [], None
        index = _insert_at(nb, order, k, present, answer=_is_answer(new))
        nb.cells.insert(index, new)
        present.add(gid)
        notes.append(f"{gid}: missing from the submission; restored from the release")
    return nb, notes


def _insert_at(nb, order: list[str], k: int, present: set, *, answer: bool) -> int:
    index_of = {_gid(c): i for i, c in enumerate(nb.cells) if _gid(c)}
    if not answer:
        for later in order[k + 1:]:
            if later in present:
                return index_of[later]
    for earlier in reversed(order[:k]):
        if earlier in present:
            return index_of[earlier] + 1
    return 0 if answer else len(nb.cells)


class RestoreCells(NbGraderPreprocessor):
    """The sanitising step described in the module docstring (reads the course's release)."""

    release_notebook = Unicode("", help="path of the released notebook; default: from the course "
                               "directory's release folder").tag(config=True)

    def preprocess(self, nb, resources):
        path = self.release_notebook
        if not path:
            course = Path(resources["nbgrader"].get("course_root", "."))
            a, name = resources["nbgrader"]["assignment"], resources["nbgrader"]["notebook"]
            path = str(course / "release" / a / f"{name}.ipynb")
        release = nbformat.read(path, as_version=4)
        nb, notes = restore_cells(nb, release)
        for note in notes:
            self.log.warning("RestoreCells: %s", note)
        resources.setdefault("restored_cells", []).extend(notes)
        return nb, resources
