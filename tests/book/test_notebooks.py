"""The Colab notebooks book/*.ipynb: generated from the MyST chapters by tools/notebooks.py, up to
date, plain Jupyter (no MyST), installing cnnlab from the one configured source; and every file of
the repository names that source and no other."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys

import pytest

from helpers.book import (GENERATOR, INSTALL_SPEC, ROOT, SOURCE, SYNC_HINT, code_cells, first_difference,
                          myst_chapters)

CHAPTERS = myst_chapters()
IDS = [p.stem for p in CHAPTERS]
COLAB_CELL = 'if "google.colab" in sys.modules:  # on Colab: install cnnlab; elsewhere this cell does nothing'
# What Jupyter does not render: MyST roles, directives (colon or backtick fences), targets, comments,
# substitutions, glue placeholders.
MYST_ONLY = re.compile(r"\{[a-z][\w:-]*\}`|^\s*(:{3,}|`{3,})\{|^\s*:{3,}\s*$|^\([\w-]+\)=\s*$|^% |\{\{[^}]*\}\}",
                       re.M)
# What the torch extra installs, with its own dependencies (torch's sympy, scikit-learn's scipy) and
# IPython, which every notebook kernel has.
TORCH_EXTRA_MODULES = {"cnnlab", "numpy", "torch", "sympy", "scipy", "tqdm", "matplotlib", "sklearn", "IPython",
                       "threadpoolctl"}   # sympy: torch's dependency; scipy, threadpoolctl: scikit-learn's


def notebook(md):
    nbformat = pytest.importorskip("nbformat")
    ipynb = md.with_suffix(".ipynb")
    assert ipynb.exists(), f"{ipynb.relative_to(ROOT)} is missing; " + SYNC_HINT
    return nbformat.read(ipynb, as_version=4)


def markdown_of(nb) -> str:
    return "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_there_are_chapters():
    assert len(CHAPTERS) >= 6, f"expected the MyST chapters in book/, found {[p.name for p in CHAPTERS]}"


@pytest.mark.parametrize("md", CHAPTERS, ids=IDS)
def test_generated_notebook_is_up_to_date(md):
    """Regenerated from the .md with the values the notebook records, it is the committed file."""
    pytest.importorskip("jupytext")
    nb = notebook(md)
    glued = nb.metadata.get("cnnlab", {}).get("glued", {})
    try:
        want = GENERATOR.render(GENERATOR.generate(md, SOURCE, glued=glued))
    except ValueError as err:        # e.g. the .md now shows a value the notebook does not record
        pytest.fail(f"{md.stem}.ipynb is out of date with {md.name} ({err}); " + SYNC_HINT, pytrace=False)
    have = md.with_suffix(".ipynb").read_text(encoding="utf-8")
    assert have == want, (f"{md.stem}.ipynb is out of date with {md.name} ({first_difference(want, have)}); "
                          + SYNC_HINT)


def _number(text: str) -> float | None:
    try:
        return float(text.strip("'\"").replace(",", "").rstrip("%"))
    except ValueError:
        return None


@pytest.mark.book
@pytest.mark.parametrize("md", CHAPTERS, ids=IDS)
def test_generated_notebook_shows_the_executed_values(md, built_book):
    """The values in the notebook's text are those of the chapter as the book executes it now.

    Counts and words must match exactly; measured decimals (accuracies, losses) within 5%, since
    float32 training differs in its last digits between CPUs.
    """
    recorded = notebook(md).metadata.get("cnnlab", {}).get("glued", {})
    executed = GENERATOR.glued_values(GENERATOR.executed(md, GENERATOR.read_chapter(md)))
    stale = []
    for name, text in recorded.items():
        now = executed.get(name)
        a, b = _number(text), _number(now or "")
        close = a is not None and b is not None and ("." in text or "e" in text) and abs(a - b) <= 0.05 * max(abs(a), abs(b))
        if now != text and not close:
            stale.append(f"{name}: notebook shows {text}, the chapter computes {now}")
    assert not stale, f"{md.stem}.ipynb shows stale values ({'; '.join(stale[:5])}); " + SYNC_HINT


@pytest.mark.parametrize("md", CHAPTERS, ids=IDS)
def test_generated_notebook_is_plain_jupyter(md):
    nb = notebook(md)
    found = sorted({m.group(0).strip() for m in MYST_ONLY.finditer(markdown_of(nb))})
    assert not found, f"{md.stem}.ipynb has MyST-only markup that Jupyter shows raw: {found[:8]}; " + SYNC_HINT
    with_outputs = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not with_outputs, f"{md.stem}.ipynb is committed with outputs in cells {with_outputs}"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{md.stem}.ipynb: kernel is not python3"
    assert "jupytext" not in nb.metadata, f"{md.stem}.ipynb is paired by jupytext: it must be generated"
    assert nb.metadata.get("cnnlab", {}).get("generated_from") == md.relative_to(ROOT).as_posix()


@pytest.mark.parametrize("md", CHAPTERS, ids=IDS)
def test_generated_notebook_points_only_at_the_configured_source(md):
    nb = notebook(md)
    text = "\n".join(c.source for c in nb.cells)
    urls = re.findall(r"(?:git\+)?https?://[^\s\"')\]>`]+", text)
    wrong = [u for u in urls if not (u.startswith(SOURCE.docs) or u == SOURCE.git)]
    assert not wrong, f"{md.stem}.ipynb links outside {SOURCE.docs} and {SOURCE.git}: {sorted(set(wrong))}"
    kind, source, tags = next(c for c in code_cells(md.with_suffix(".ipynb")))
    assert COLAB_CELL in source and f'"{INSTALL_SPEC}"' in source, \
        f"{md.stem}.ipynb: the first code cell must install {INSTALL_SPEC} on Colab"
    assert "hide-cell" in tags, f"{md.name}: the Colab install cell must be tagged hide-cell"


@pytest.mark.parametrize("md", CHAPTERS, ids=IDS)
def test_chapter_imports_only_what_the_torch_extra_installs(md):
    """Colab has numpy, torch, matplotlib, scikit-learn, tqdm and IPython; cnnlab[torch] adds cnnlab."""
    nb = notebook(md)
    imported = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse("\n".join(ln for ln in cell.source.splitlines() if not ln.lstrip().startswith(("%", "!"))))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                imported.add(node.module.split(".")[0])
    foreign = sorted(imported - TORCH_EXTRA_MODULES - set(sys.stdlib_module_names))
    assert not foreign, f"{md.stem}.ipynb imports {foreign}, which cnnlab[torch] does not install"


def test_every_file_names_the_configured_source():
    """The install source is set once (pyproject.toml) and every file that names it is in step."""
    stale = GENERATOR.sync_sources(SOURCE, check=True, root=ROOT)
    assert not stale, (f"{[p.relative_to(ROOT).as_posix() for p in stale]} do not name {SOURCE.git} "
                       f"(version {SOURCE.version}): run `make notebooks` and `make release`")


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_no_file_holds_another_install_url():
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    repo_path = SOURCE.repo.split("://", 1)[1]
    docs_path = SOURCE.docs.split("://", 1)[1]
    pattern = re.compile(r"git\+https?://[^\s\"'\\)`]+|(?:colab\.research\.google\.com/)?github\.com/[\w.-]+/[\w-]+"
                         r"|colab\.research\.google\.com/github/[\w.-]+/[\w-]+|[\w-]+\.github\.io/[\w-]+")
    wrong = []
    for rel in files:
        path = ROOT / rel
        if rel.startswith("book/_static/") or not path.is_file() or path.suffix in (".png", ".jpg", ".gz", ".npz"):
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for url in pattern.findall(text):
            if url.startswith("git+"):
                ok = url == SOURCE.git
            elif url.startswith("colab."):
                ok = url == "colab.research.google.com/github/" + repo_path.split("/", 1)[1]
            elif ".github.io/" in url:
                ok = docs_path.startswith(url + "/")
            else:
                ok = url == repo_path
            if not ok:
                wrong.append(f"{rel}: {url}")
    assert not wrong, ("files name another cnnlab source than pyproject.toml's "
                       f"({SOURCE.git}):\n" + "\n".join(wrong[:20]))


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
@pytest.mark.parametrize("md", CHAPTERS, ids=IDS)
def test_generated_notebook_is_committed(md):
    rel = md.with_suffix(".ipynb").relative_to(ROOT).as_posix()
    tracked = subprocess.run(["git", "ls-files", "--error-unmatch", rel], cwd=ROOT, capture_output=True)
    assert tracked.returncode == 0, f"{rel} is not committed: Colab reads it from the repository"


def test_a_change_to_cnnlab_empties_the_execution_cache(tmp_path):
    """jupyter-cache keys a chapter on its own code; a chapter run with an older cnnlab must run again."""
    shutil.copytree(ROOT / "cnnlab", tmp_path / "cnnlab", ignore=shutil.ignore_patterns("__pycache__"))
    cache, doctrees = tmp_path / "_build" / ".jupyter_cache", tmp_path / "_build" / ".doctrees"
    for folder in (cache, doctrees):
        folder.mkdir(parents=True)
        (folder / "entry").write_text("executed")
    assert GENERATOR.drop_stale_cache(tmp_path)           # no stamp yet: the cache's cnnlab is unknown
    assert not cache.exists() and not doctrees.exists()
    cache.mkdir()
    assert not GENERATOR.drop_stale_cache(tmp_path) and cache.exists()   # same cnnlab: kept
    module = tmp_path / "cnnlab" / "functional" / "conv.py"
    module.write_text(module.read_text() + "\n# a change\n")
    assert GENERATOR.drop_stale_cache(tmp_path) and not cache.exists()
