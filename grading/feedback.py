"""Feedback a student can use, and nothing the grader must keep to itself.

``SanitizeFeedback`` runs in ``nbgrader generate_feedback`` after nbgrader's GetGrades:

* a summary cell opens the page: every part's score and its verdict (the first lines of the
  failing test's message, or "passed");
* every test cell shows its *released* source: the hidden tests are replaced by a one-line note,
  and an output that quotes a hidden test line (a student printing ``In[...]``) is withheld;
* tracebacks keep the frames of the notebook's own cells and the final message only: no frames of
  the grader's code, no absolute paths;
* long messages are cut.

``offline_mathjax(html)`` swaps nbgrader's MathJax-from-a-CDN for the copy shipped with the book
(``feedback/_mathjax/``, written by grading/grade.py), so maths renders offline.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer, Unicode

REPO = Path(__file__).resolve().parent.parent
MATHJAX_SOURCE = REPO / "book" / "_static" / "mathjax"
MATHJAX_DIR = "_mathjax"
HIDDEN_NOTE = "# (hidden tests: the grader ran them; their messages are in the output below)"
WITHHELD = "[output withheld by the grader: it quoted the hidden tests]"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
PATH = re.compile(r"(/[\w.@+-]+){2,}/")


def _gid(cell) -> str | None:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    return meta.get("grade_id")


def _is_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader") or {}
    return bool(meta.get("grade")) and not meta.get("solution") and cell.cell_type == "code"


def hidden_lines(source: str) -> set[str]:
    """The stripped lines between the hidden-test markers (only those long enough to be telling)."""
    lines, inside = set(), False
    for line in source.splitlines():
        s = line.strip()
        if "BEGIN HIDDEN TESTS" in s:
            inside = True
        elif "END HIDDEN TESTS" in s:
            inside = False
        elif inside and len(s) >= 16:
            lines.add(s)
    return lines


def clean_traceback(lines: list[str], evalue_lines: int = 40) -> list[str]:
    """Frames of notebook cells (``Cell In[n]``) and the final message; grader frames and paths go."""
    text = ANSI.sub("", "\n".join(lines))
    blocks = re.split(r"\n(?=File |Cell In\[|\s*File \")", text)
    kept, dropped = [], False
    for block in blocks[1:-1] if len(blocks) > 2 else []:
        if block.lstrip().startswith("Cell In["):
            kept.append(block.rstrip())
        else:
            dropped = True
    last = blocks[-1] if blocks else ""
    # the final "Name: message" is the last block's lines after its code excerpt
    tail = last.splitlines()
    msg_start = next((i for i, l in enumerate(tail) if re.match(r"^\w+(Error|Exception|Called|Interrupt|Died|Timeout)\b", l)), None)
    message = tail[msg_start:] if msg_start is not None else tail[-1:]
    if len(message) > evalue_lines:
        message = message[:evalue_lines] + [f"... ({len(message) - evalue_lines} more lines cut)"]
    out = kept + (["(grader frames omitted)"] if dropped else []) + message
    return [PATH.sub("", line) for line in out]


def first_lines(text: str, n: int = 4, width: int = 300) -> str:
    lines = [l for l in ANSI.sub("", text).splitlines() if l.strip()][:n]
    return "\n".join(l if len(l) <= width else l[:width] + " ..." for l in lines)


def split_message(text: str) -> tuple[str, str]:
    """(what went wrong, on which input) from a check's message ``input: f(...)   [label]\n<why>``."""
    lines = ANSI.sub("", text).splitlines()
    if not lines or not lines[0].lstrip().startswith(("GradingError: input:", "input:")):
        return text, ""
    end = next((i for i, l in enumerate(lines) if re.search(r"   \[[^\]]*\]\s*$", l)), 0)
    call = " ".join(l.strip() for l in lines[:end + 1])
    return "\n".join(lines[end + 1:]), call


def verdict(cell) -> str:
    """A test cell's verdict: what went wrong first (short), then the input; or "passed"."""
    for out in cell.get("outputs", []):
        if out.output_type == "error":
            why, call = split_message(out.evalue)
            why = first_lines(why, 3) or out.ename
            if call:
                call = call[:160] + (" ..." if len(call) > 160 else "")
                why += f"\n({call})"
            return why if why.startswith(out.ename) or out.ename == "GradingError" else f"{out.ename}: {why}"
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stderr":
            return "printed on stderr: " + first_lines(out.text, 2)
    return "passed"


class SanitizeFeedback(NbGraderPreprocessor):
    """See the module docstring. ``release_notebook``: the released notebook (tests' public source)."""

    release_notebook = Unicode("", help="path of the released notebook").tag(config=True)
    max_message_lines = Integer(40, help="lines kept of an error message").tag(config=True)

    def preprocess(self, nb, resources):
        try:  # the evidence records (grading/evidence.py) are for the grader, not the student
            from grading.evidence import strip

            strip(nb)
        except ImportError:
            pass
        public = {}
        if self.release_notebook and Path(self.release_notebook).exists():
            release = nbformat.read(self.release_notebook, as_version=4)
            public = {_gid(c): c.source for c in release.cells if _gid(c)}
        secret: set[str] = set()
        for cell in nb.cells:
            if _is_test(cell):
                secret |= hidden_lines(cell.source)
        rows = []
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if _is_test(cell):
                src = public.get(_gid(cell), cell.source)
                cell.source = re.sub(r"(?s)### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", HIDDEN_NOTE, src)
                meta = cell.metadata.nbgrader
                score, points = meta.get("score"), meta.get("points")
                rows.append((_gid(cell), score, points, verdict(cell)))
            for out in cell.get("outputs", []):
                self._clean_output(out, secret)
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(self._summary(rows, resources)))
        return nb, resources

    def _clean_output(self, out, secret: set[str]) -> None:
        texts = []
        if out.output_type == "stream":
            texts = [out.text]
        elif out.output_type == "error":
            out.traceback = clean_traceback(out.traceback, self.max_message_lines)
            texts = [out.evalue, *out.traceback]
        elif "data" in out:
            texts = [v for k, v in out.data.items() if k.startswith("text/") and isinstance(v, str)]
        if secret and any(line in t for t in texts for line in secret):
            if out.output_type == "error":
                out.evalue, out.traceback = WITHHELD, [WITHHELD]
            elif out.output_type == "stream":
                out.text = WITHHELD
            else:
                out.data = {"text/plain": WITHHELD}

    @staticmethod
    def _summary(rows, resources) -> str:
        nbg = resources.get("nbgrader", {})
        total, top = nbg.get("score"), nbg.get("max_score")
        head = [f"## Your grade: {total:g} / {top:g}" if total is not None and top else "## Your grade",
                "", "| part | score | verdict |", "|---|---|---|"]
        for gid, score, points, why in rows:
            s = f"{score:g} / {points:g}" if score is not None and points is not None else "?"
            why = why.replace("|", "\\|").replace("\n", "<br>")
            head.append(f"| `{gid}` | {s} | {why} |")
        head += ["", "Each part's test cell below shows the full message."]
        return "\n".join(head)


MATHJAX_BLOCK = re.compile(r"<!-- Load mathjax -->.*?<!-- End of mathjax configuration -->", re.S)
MATHJAX_LOCAL = """<!-- MathJax 3, the copy shipped with the book (offline) -->
<script>
window.MathJax = {tex: {inlineMath: [['$', '$'], ['\\\\(', '\\\\)']],
                        displayMath: [['$$', '$$'], ['\\\\[', '\\\\]']],
                        processEscapes: true, tags: 'ams'}};
</script>
<script src="../../%s/tex-svg-full.js"></script>""" % MATHJAX_DIR


def offline_mathjax(html: str) -> str:
    """nbgrader's feedback page with the CDN MathJax replaced by ``../../_mathjax/`` (offline)."""
    return MATHJAX_BLOCK.sub(lambda m: MATHJAX_LOCAL, html, count=1)


def install_mathjax(feedback_dir: Path) -> None:
    """Copy the book's MathJax into ``feedback_dir/_mathjax`` (what offline_mathjax points to)."""
    dest = feedback_dir / MATHJAX_DIR
    if MATHJAX_SOURCE.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        for f in MATHJAX_SOURCE.iterdir():
            if f.is_file() and not (dest / f.name).exists():
                (dest / f.name).write_bytes(f.read_bytes())
