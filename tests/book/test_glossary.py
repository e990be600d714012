"""The glossary (book/glossary.md) and the general index it fills, on the built book.

Every glossary term is defined on the glossary page, links to a chapter that exists, and is an entry
of Sphinx's general index (genindex.html), which the book's navigation links to and which lists at
least MIN_INDEX_ENTRIES entries.
"""

from __future__ import annotations

import re

import pytest

from helpers.book import ROOT

pytestmark = pytest.mark.book

MIN_TERMS = 70
MIN_INDEX_ENTRIES = 70
CHAPTER = re.compile(r"^(\d\d_[\w-]+|pytorch)\.html$")


def _soup(path):
    from bs4 import BeautifulSoup      # a dependency of the book's theme (pydata-sphinx-theme)

    assert path.exists(), f"{path} was not built"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def source_terms() -> list[str]:
    """The terms written in book/glossary.md's glossary directive (lines that are not indented)."""
    text = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    body = re.search(r"```\{glossary\}\n(.*?)\n```", text, re.S).group(1)
    return [ln.strip() for ln in body.splitlines() if ln.strip() and not ln[0].isspace()
            and not ln.startswith(":")]


def index_entries(html_root) -> list[tuple[str, str]]:
    """(text, href) of every entry and sub-entry of the built general index."""
    soup = _soup(html_root / "genindex.html")
    tables = soup.select("table.genindextable, table.indextable")
    assert tables, "genindex.html holds no index table: is it Sphinx's index, or the placeholder page?"
    return [(a.get_text(" ", strip=True), a.get("href", "")) for t in tables for a in t.select("li > a")]


def test_glossary_defines_every_term_with_a_link_to_its_chapter(built_book):
    terms = source_terms()
    assert len(terms) >= MIN_TERMS, f"the glossary defines {len(terms)} terms, wants at least {MIN_TERMS}"
    assert len(set(t.lower() for t in terms)) == len(terms), "a glossary term is defined twice"
    soup = _soup(built_book / "book" / "glossary.html")
    dts = soup.select("dl.glossary > dt")
    built = {dt.get_text(" ", strip=True).rstrip("#¶ ").strip(): dt for dt in dts}
    missing = [t for t in terms if t not in built]
    assert not missing, f"terms missing from the built glossary: {missing[:10]} (built: {list(built)[:5]})"
    problems = []
    for term, dt in built.items():
        dd = dt.find_next_sibling("dd")
        words = len(dd.get_text(" ", strip=True).split()) if dd else 0
        chapters = [a["href"].split("#")[0] for a in (dd.select("a.reference.internal[href]") if dd else [])
                    if CHAPTER.match(a["href"].split("#")[0])]
        if words < 8:
            problems.append(f"{term}: a definition of {words} words")
        if not chapters:
            problems.append(f"{term}: no link to the chapter that teaches it")
        for href in chapters:
            if not (built_book / "book" / href).exists():
                problems.append(f"{term}: links to {href}, which was not built")
    assert not problems, "glossary problems:\n" + "\n".join(problems)


def test_general_index_is_populated_and_in_the_navigation(built_book):
    entries = index_entries(built_book)
    assert len(entries) >= MIN_INDEX_ENTRIES, (
        f"genindex.html lists {len(entries)} entries, wants at least {MIN_INDEX_ENTRIES}")
    listed = {text for text, _ in entries}
    unlisted = [t for t in source_terms() if t not in listed]
    assert not unlisted, f"glossary terms missing from the general index: {unlisted[:10]}"
    to_glossary = [href for text, href in entries if "glossary.html#term-" in href]
    assert len(to_glossary) >= len(source_terms()), "index entries do not point to the glossary's terms"

    # reachable: the sidebar of the front page and of a chapter link to the index
    for page in ("book/intro.html", "book/01_perceptron.html"):
        soup = _soup(built_book / page)
        nav = soup.select_one("nav.bd-docs-nav, #bd-docs-nav, .bd-sidebar-primary")
        assert nav is not None, f"{page} has no navigation sidebar"
        hrefs = [a.get("href", "") for a in nav.select("a[href]")]
        assert any(h.split("#")[0].endswith("genindex.html") for h in hrefs), (
            f"the navigation of {page} has no link to genindex.html: {hrefs[-6:]}")
