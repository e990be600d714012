"""Similarity of the student-written code across the students of one assignment (copydetect).

    report(notebooks, assignment, out_dir) -> {student: (closest student, score)}

Only what students wrote is compared: the answer cells (and cells a student added), minus every
line of the released template of that cell (signatures, docstrings, ``raise NotImplementedError()``),
and the template is also given to copydetect as boilerplate. copydetect (winnowing over tokenised
code: variable and function names do not matter) scores each pair: the score of A against B is
the fraction of A's fingerprints found in B, from 0 to 1. Written beside grades.csv:

    similarity-<assignment>.html   copydetect's report: the pairs above 0.5, copied code highlighted
    similarity-<assignment>.csv    student, closest, score, then one column per other student

A student with no code of their own (a blank submission) gets ("", 0.0). The report needs no
network (copydetect's links to a CSS framework on a CDN are removed; its own styles stay).
"""

from __future__ import annotations

import csv
import logging
import sys
import tempfile
from pathlib import Path

import nbformat
import numpy as np

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grading.cells import Release, student_cells  # noqa: E402
from grading.flags import _python  # noqa: E402

DISPLAY_THRESHOLD = 0.5    # pairs at or above this score are shown in the HTML report
NOISE_THRESHOLD = 25       # copydetect's k-gram length (tokens are 1 character after filtering)


def _release(assignment: str, exercises: Path) -> Release:
    """The released notebook of ``assignment``: its answer templates and the instructor's cells."""
    return Release.of(nbformat.read(str(exercises / assignment / f"{assignment}.ipynb"), as_version=4))


def student_code(nb: nbformat.NotebookNode, release: Release) -> str:
    """The code a student wrote: their cells (see grading/cells.py), each minus its template's lines."""
    pieces = []
    for source, template in student_cells(nb, release):
        boilerplate = {line.strip() for line in template.split("\n") if line.strip()}
        lines = [line for line in _python(source)[0].split("\n") if line.strip() and line.strip() not in boilerplate]
        if lines:
            pieces.append("\n".join(lines))
    return "\n\n".join(pieces) + ("\n" if pieces else "")


def report(notebooks: dict[str, Path], assignment: str, out_dir: Path, *,
           exercises: Path = REPO / "exercises") -> dict[str, tuple[str, float]]:
    """Compare every pair of students; write the report files; {student: (closest, score)}."""
    from copydetect import CopyDetector

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    release = _release(assignment, exercises)
    result = {name: ("", 0.0) for name in notebooks}
    with tempfile.TemporaryDirectory(prefix="cnnlab-similarity-") as tmp:
        root = Path(tmp)
        (root / "boilerplate").mkdir()
        (root / "boilerplate" / "template.py").write_text("\n\n".join(release.answers.values()) + "\n")
        files: dict[str, str] = {}
        for name, path in sorted(notebooks.items()):
            try:
                nb = nbformat.read(str(path), as_version=4)
            except Exception:
                continue  # unreadable notebooks are reported by the grader itself
            code = student_code(nb, release)
            if code.strip():
                d = root / "students" / f"{len(files):04d}"
                d.mkdir(parents=True)
                (d / f"{assignment}.py").write_text(code)
                files[str(d / f"{assignment}.py")] = name
        names = list(files.values())
        matrix = np.zeros((len(names), len(names)))
        html = out_dir / f"similarity-{assignment}.html"
        if len(files) >= 2:
            logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))
            detector = CopyDetector(boilerplate_dirs=[str(root / "boilerplate")], extensions=["py"],
                                    noise_t=NOISE_THRESHOLD, guarantee_t=NOISE_THRESHOLD,
                                    display_t=DISPLAY_THRESHOLD, autoopen=False, silent=True,
                                    out_file=str(html))
            for f in files:
                detector.add_file(f)
            detector.run()
            index = {f: i for i, f in enumerate(files)}
            sims = np.nan_to_num(detector.similarity_matrix[:, :, 0], nan=0.0)
            for i, test_f in enumerate(detector.test_files):
                for j, ref_f in enumerate(detector.ref_files):
                    if test_f != ref_f:
                        matrix[index[test_f], index[ref_f]] = max(0.0, float(sims[i, j]))
            detector.generate_html_report()
            _rename_files_in_report(html, files, root)
        else:
            html.write_text(f"<html><body><p>Fewer than two submissions of {assignment} hold code of "
                            "their own: nothing to compare.</p></body></html>\n")
    for i, name in enumerate(names):
        if len(names) > 1:
            row = matrix[i].copy()
            row[i] = -1.0
            j = int(np.argmax(row))
            result[name] = (names[j], round(float(row[j]), 3))
    _write_csv(out_dir / f"similarity-{assignment}.csv", names, matrix, result)
    return result


def _rename_files_in_report(html: Path, files: dict[str, str], root: Path) -> None:
    """copydetect names files by path: name the students instead, keep no path of this machine,
    and drop its CDN links (the report is read offline)."""
    if not html.exists():
        return
    text = html.read_text()
    for path, name in files.items():
        text = text.replace(path, name)
    text = text.replace(str(html), html.name).replace(str(root), "")
    text = "\n".join(line for line in text.split("\n") if "cdn.jsdelivr.net" not in line)
    html.write_text(text)


def _write_csv(path: Path, names: list[str], matrix: np.ndarray, result: dict) -> None:
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["student", "closest", "score"] + names)
        for i, name in enumerate(names):
            w.writerow([name, *result[name]] + [f"{matrix[i, j]:.3f}" if i != j else "" for j in range(len(names))])
        for name in sorted(set(result) - set(names)):
            w.writerow([name, "", 0.0] + [""] * len(names))
