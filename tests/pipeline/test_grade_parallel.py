"""Grading a class: parallel equals serial byte for byte, unchanged submissions are skipped, and
the results folder holds nothing stale (grading/grade.py)."""

from __future__ import annotations

import shutil

import nbformat
import pytest

from helpers.grading import (blank_submission, edit, full_submission, read_csv, sandbox_available,
                             write_submissions)

from grading.grade import grade

pytestmark = [pytest.mark.grading, pytest.mark.slow]
A = "a1"


def _class():
    full = full_submission(A)
    return {"ann": full, "ben": blank_submission(A),
            "cat": edit(full, "a1_cross_entropy", "return (p - y) / n", "return (y - p) / n")}


def _files(out):
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and (p.name == "grades.csv" or "feedback" in p.parts)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("parallel")
    subs = write_submissions(A, _class(), tmp / "subs")
    box = sandbox_available()
    logs = {}
    for name, jobs in (("serial", 1), ("parallel", 2)):
        logs[name] = []
        grade(subs, tmp / name, assignments=[A], timeout=20, jobs=jobs, sandbox=box,
              log=logs[name].append)
    return tmp, subs, box, logs


def test_parallel_results_are_byte_identical_to_serial(runs):
    tmp = runs[0]
    serial, parallel = _files(tmp / "serial"), _files(tmp / "parallel")
    assert sorted(serial) == sorted(parallel)
    assert len([f for f in serial if f.endswith(".html")]) == 3
    for name in serial:
        assert serial[name] == parallel[name], name
    rows = read_csv(tmp / "serial" / "grades.csv")
    assert [rows[s]["total"] for s in ("ann", "ben", "cat")] == ["20", "0", "16"]


def test_unchanged_submissions_are_not_regraded_and_changed_ones_are(runs):
    tmp, subs, box, _ = runs
    out = tmp / "serial"
    before = _files(out)
    log: list[str] = []
    grade(subs, out, assignments=[A], timeout=20, jobs=1, sandbox=box, log=log.append)
    assert any("grading 0 submissions (3 unchanged" in line for line in log), log
    assert _files(out) == before
    # ben fixes his notebook: only ben is graded again, and his old feedback is replaced
    nbformat.write(full_submission(A), str(subs / "ben" / A / f"{A}.ipynb"))
    log = []
    grade(subs, out, assignments=[A], timeout=20, jobs=1, sandbox=box, log=log.append)
    assert any("grading 1 submissions (2 unchanged" in line for line in log), log
    assert read_csv(out / "grades.csv")["ben"]["total"] == "20"
    log = []
    grade(subs, out, assignments=[A], timeout=20, jobs=1, sandbox=box, log=log.append, force=True)
    assert any("grading 3 submissions (0 unchanged" in line for line in log), log


def test_nothing_stale_survives(runs):
    tmp, subs, box, _ = runs
    out = tmp / "parallel"
    shutil.rmtree(subs / "cat")
    (subs / "ann" / A / f"{A}.ipynb").write_text("{ not json")
    grade(subs, out, assignments=[A], timeout=20, jobs=2, sandbox=box, log=lambda *a: None)
    rows = read_csv(out / "grades.csv")
    assert sorted(rows) == ["ann", "ben"]
    assert not (out / "feedback" / "cat").exists() and not (out / "logs" / "cat").exists()
    # ann's earlier 20/20 feedback must not sit next to her error row
    assert rows["ann"]["status"].startswith("error:") and "logs/ann/a1.log" in rows["ann"]["status"]
    assert not (out / "feedback" / "ann" / A).exists()
    assert "not JSON" in (out / rows["ann"]["log"]).read_text()
    assert [rows["ann"][k] for k in ("total", "max_score")] == ["0", "20"]
