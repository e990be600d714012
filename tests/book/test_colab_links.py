"""Every notebook page of the built book has a Colab button that opens the right .ipynb."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers.book import COLAB_PREFIX, ROOT, code_cells, first_difference, is_myst_notebook

pytestmark = pytest.mark.book

HREF = re.compile(r'href="([^"]+)"')


def pages(html_root: Path) -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in html_root.rglob("*.html")
                  if p.name not in skip and not p.relative_to(html_root).parts[0].startswith(("_", ".")))


def source_of(page: Path, html_root: Path) -> Path | None:
    """The repository file a built page came from (.md or .ipynb), if any."""
    docname = page.relative_to(html_root).with_suffix("").as_posix()
    if docname == "index":
        return None                                  # the redirect to the root document
    for suffix in (".md", ".ipynb"):
        src = ROOT / (docname + suffix)
        if src.exists():
            return src
    return None


def is_notebook_page(src: Path) -> bool:
    return src.suffix == ".ipynb" or (src.suffix == ".md" and is_myst_notebook(src))


def test_every_notebook_page_has_a_correct_colab_link(built_book):
    checked, problems = 0, []
    for page in pages(built_book):
        src = source_of(page, built_book)
        if src is None:
            continue
        hrefs = HREF.findall(page.read_text(encoding="utf-8"))
        colab = sorted({h for h in hrefs if h.startswith("https://colab.research.google.com/github/")})  # launch buttons
        name = page.relative_to(built_book).as_posix()
        if not is_notebook_page(src):
            if colab:
                problems.append(f"{name}: a Colab link on a page that is not a notebook: {colab}")
            continue
        if len(colab) != 1:
            problems.append(f"{name}: expected one Colab link, found {colab}")
            continue
        checked += 1
        url = colab[0]
        if not url.startswith(COLAB_PREFIX):
            problems.append(f"{name}: Colab link {url} does not point into {COLAB_PREFIX}")
            continue
        target = ROOT / url[len(COLAB_PREFIX):]
        if target.suffix != ".ipynb":
            problems.append(f"{name}: Colab link points to {target.name}, not an .ipynb (Colab opens only notebooks)")
        elif not target.exists():
            problems.append(f"{name}: Colab link points to {target.relative_to(ROOT)}, which is not in the repository")
        elif target.with_suffix("") != src.with_suffix(""):
            problems.append(f"{name}: Colab link opens {target.relative_to(ROOT)}, not this page's notebook")
        elif src.suffix == ".md" and code_cells(target) != code_cells(src):      # generated: same code
            problems.append(f"{name}: {target.relative_to(ROOT)} does not match {src.relative_to(ROOT)}: "
                            f"{first_difference(code_cells(src), code_cells(target))}")
    assert not problems, "\n".join(problems)
    assert checked >= 6, f"only {checked} notebook pages had Colab links"


def test_no_binder_or_thebe_launchers(built_book):
    offenders = []
    for page in pages(built_book):
        text = page.read_text(encoding="utf-8")
        if "mybinder.org" in text or "initThebeSBT()" in text:
            offenders.append(page.relative_to(built_book).as_posix())
    assert not offenders, f"Binder/Thebe launch buttons (they fetch from the internet) on: {offenders}"


def test_pages_load_no_remote_assets(built_book):
    """Static check: no <script src>, <link href> or <img src> points off the site (the browser test
    checks the live requests too)."""
    asset = re.compile(r'<(?:script|link|img|iframe|source)\b[^>]*?\b(?:src|href)="(https?:)?//([^"/]+)[^"]*"')
    offenders = []
    for page in sorted(built_book.rglob("*.html")):
        for _, host in asset.findall(page.read_text(encoding="utf-8")):
            if host not in ("localhost", "127.0.0.1"):
                offenders.append(f"{page.relative_to(built_book)}: {host}")
    assert not offenders, "remote assets referenced:\n" + "\n".join(sorted(set(offenders))[:40])
