"""Evidence of the checks: recorded in the kernel (cnnlab.grading.evidence), verified outside it
(grading/evidence.py) against the instructor's own run of the notebook."""

from __future__ import annotations

import copy

import nbformat
import numpy as np
import pytest

from cnnlab.grading import Case, check_function, evidence
from cnnlab.grading.evidence import MIME, begin_cell, cell_passed, decode, digest, encode
from grading import evidence as verifier

pytestmark = pytest.mark.grading


@pytest.mark.parametrize("value", [np.arange(6.0).reshape(2, 3), np.float32(2.5), (np.ones(2), None, 3),
                                   [1, 2.0], np.array([1, 2], dtype=np.int64), "text"])
def test_encode_decode_round_trip(value):
    back = decode(encode(value))
    if isinstance(value, tuple):
        assert isinstance(back, tuple) and np.array_equal(back[0], value[0]) and back[1:] == value[1:]
    elif isinstance(value, np.ndarray):
        assert back.dtype == value.dtype and np.array_equal(back, value)
    else:
        assert np.all(np.asarray(back) == np.asarray(value))


def test_digest_sees_every_input():
    x = np.arange(4.0)
    base = digest(((x, 2), {"stride": 1}))
    assert base == digest(((x.copy(), 2), {"stride": 1}))
    for other in [((x + 1e-12, 2), {"stride": 1}), ((x, 3), {"stride": 1}), ((x, 2), {"stride": 2}),
                  ((x.astype(np.float32), 2), {"stride": 1}), ((np.random.default_rng(1), 2), {})]:
        assert digest(other) != base
    assert digest(np.random.default_rng(1)) == digest(np.random.default_rng(1)) != digest(np.random.default_rng(2))


def test_a_cell_records_its_checks_and_passes_them_on():
    begin_cell("demo_tests")
    check_function(np.tanh, np.tanh, [Case("a", np.ones(2)), Case("b", np.zeros(3))])
    payload = cell_passed("demo_tests")
    kinds = [r["kind"] for r in payload["records"]]
    assert kinds == ["begin", "call", "call", "passed"] and payload["grade_id"] == "demo_tests"
    assert np.array_equal(decode(payload["records"][1]["actual"]), np.tanh(np.ones(2)))
    assert evidence._RECORDS == []


# --- verify, on notebooks made from the instructor's own records ------------------------------

A = "a3"


@pytest.fixture(scope="module")
def trusted():
    return verifier.trusted_records(A)


def _notebook(trusted, change=None):
    """The source notebook with each test cell's output set to the trusted record (changed)."""
    nb = nbformat.read(str(verifier.REPO / "solutions" / A / f"{A}.ipynb"), as_version=4)
    for cell in nb.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid in trusted:
            payloads = [copy.deepcopy(trusted[gid])]
            if change:
                payloads = change(gid, payloads[0])
            cell.outputs = [nbformat.v4.new_output("display_data", data={MIME: p}) for p in payloads]
    return nb


def test_every_graded_cell_of_every_assignment_emits_evidence():
    for a in ["a1", "a2", "a3", "a4"]:
        source = nbformat.read(str(verifier.REPO / "solutions" / a / f"{a}.ipynb"), as_version=4)
        graded = [c for c in source.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade")]
        for c in graded:
            gid = c.metadata.nbgrader.grade_id
            assert f'begin_cell("{gid}"' in c.source and f'cell_passed("{gid}")' in c.source, gid


def test_the_instructors_records_verify(trusted):
    results = verifier.verify(A, _notebook(trusted))
    assert results and all(ok for ok, _ in results.values()), results


def _only(gid_wanted, fn):
    def change(gid, payload):
        return fn(payload) if gid == gid_wanted else [payload]
    return change


def _set_actual(payload):
    rec = next(r for r in payload["records"] if r["kind"] == "call")
    value = decode(rec["actual"])
    rec["actual"] = encode(value + 1 if not isinstance(value, tuple) else tuple(v + 1 for v in value))
    return [payload]


def _drop_a_check(payload):
    del payload["records"][1]
    return [payload]


def _other_inputs(payload):
    next(r for r in payload["records"] if r["kind"] == "call")["digest"] = "0" * 16
    return [payload]


@pytest.mark.parametrize("change, why", [
    (lambda payload: [], "no evidence"),
    (lambda payload: [payload, copy.deepcopy(payload)], "2 evidence records"),
    (_set_actual, "values differ"),
    (_drop_a_check, "checks recorded"),
    (_other_inputs, "other inputs"),
], ids=["missing", "duplicated", "wrong-result", "check-missing", "other-inputs"])
def test_missing_or_forged_records_are_not_verified(trusted, change, why):
    gid = "a3_conv_naive_tests"
    results = verifier.verify(A, _notebook(trusted, _only(gid, change)))
    ok, message = results[gid]
    assert not ok and why in message, message
    assert all(ok for g, (ok, _) in results.items() if g != gid)


def test_a_vectorised_claim_is_rechecked(trusted):
    def loops(payload):
        rec = next(r for r in payload["records"] if r["kind"] == "vectorised")
        rec["counts"] = [300, 3000]
        return [payload]
    ok, message = verifier.verify(A, _notebook(trusted, _only("a3_conv_fast_tests", loops)))["a3_conv_fast_tests"]
    assert not ok and "not vectorised" in message


def test_strip_removes_the_records_for_feedback(trusted):
    nb = verifier.strip(_notebook(trusted))
    assert not any(MIME in o.get("data", {}) for c in nb.cells if c.cell_type == "code" for o in c.outputs)
