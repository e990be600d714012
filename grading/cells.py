"""Which cells of a submission the student wrote: one rule for the flags and the similarity report.

    release = Release.of(notebook)        # the released (or nbgrader source) notebook, or None
    for source, template in student_cells(submission, release): ...

A code cell is the student's when it is an answer cell (its ``grade_id`` is one of the release's
answer cells; ``template`` is the released source of that cell) or a cell the student added or
changed (no ``grade_id``, or one the release does not know, without nbgrader's locked/grade marks;
``template`` is ""). The instructor's cells are not: those whose ``grade_id`` the release locks
(tests, read-only cells, put back by the grader anyway) and those left exactly as released.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import nbformat


def _nbgrader(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


@dataclass(frozen=True)
class Release:
    """What the grader knows of the release: answer templates, locked ids, the instructor's code."""

    answers: dict[str, str] = field(default_factory=dict)   # grade_id -> released source
    locked: frozenset[str] = frozenset()                     # grade_ids of the instructor's cells
    given: frozenset[str] = frozenset()                      # stripped sources of the instructor's code cells

    @classmethod
    def of(cls, nb: nbformat.NotebookNode | None) -> Release:
        """The release's view of ``nb`` (a released or an nbgrader source notebook); None: nothing known."""
        if nb is None:
            return cls()
        answers, locked, given = {}, set(), set()
        for cell in nb.cells:
            meta = _nbgrader(cell)
            gid = meta.get("grade_id")
            if cell.cell_type == "code" and meta.get("solution") and gid:
                answers[gid] = cell.source
                continue
            if gid and not meta.get("solution"):
                locked.add(gid)
            if cell.cell_type == "code":
                given.add(cell.source.strip())
        return cls(answers, frozenset(locked), frozenset(given))


def student_cells(nb: nbformat.NotebookNode, release: Release) -> Iterator[tuple[str, str]]:
    """(source, template) of every code cell of ``nb`` the student wrote, in notebook order."""
    for cell in nb.cells:
        if cell.cell_type != "code" or cell.source.strip() in release.given:
            continue
        meta = _nbgrader(cell)
        gid = meta.get("grade_id")
        if gid in release.locked:
            continue
        if gid in release.answers:
            yield cell.source, release.answers[gid]
        elif not gid or meta.get("solution") or not (meta.get("locked") or meta.get("grade")):
            yield cell.source, ""
