"""The errata page lists every erratum cnnlab.notes defines, each linked to where its chapter computes it."""

from __future__ import annotations

import re

import pytest

from cnnlab.notes.errata import all_errata
from helpers.book import ROOT

ERRATA = all_errata()
PAGE = ROOT / "book" / "errata.md"


def test_the_errata_page_is_in_the_table_of_contents_and_renders_the_package_table():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    assert "file: book/errata" in toc
    text = PAGE.read_text(encoding="utf-8")
    assert "errata_table(" in text and "from cnnlab.notes.errata import" in text


@pytest.mark.parametrize("erratum", ERRATA, ids=lambda e: e.key)
def test_each_erratum_has_its_target_in_the_chapter_that_computes_it(erratum):
    chapter = ROOT / "book" / f"{erratum.chapter}.md"
    assert chapter.exists(), f"{erratum.key}: no chapter {chapter.name}"
    targets = re.findall(r"^\(([\w-]+)\)=$", chapter.read_text(encoding="utf-8"), flags=re.M)
    assert erratum.key in targets, f"{chapter.name} has no ({erratum.key})= target before the paragraph computing it"


@pytest.mark.book
def test_the_built_errata_page_links_every_erratum(built_book):
    html = (built_book / "book" / "errata.html").read_text(encoding="utf-8")
    for e in ERRATA:
        assert f'href="{e.chapter}.html#{e.key}"' in html, f"the errata page does not link {e.key}"
        assert e.exact() in html.replace("&amp;", "&") or _loose(e.exact()) in _loose(html), \
            f"the errata page does not show the exact value of {e.key}"


def _loose(text: str) -> str:
    """Text without markup and entities, whitespace collapsed, straight quotes (Sphinx curls them)."""
    import html as html_lib
    plain = html_lib.unescape(re.sub(r"<[^>]+>", "", text))
    for curly, straight in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
        plain = plain.replace(curly, straight)
    return " ".join(plain.split())
