"""The bibliography page's labels read like the author-year citations (book/_ext/cnnlab_bibtex.py).

On the built book: no label is a number; each label is the entry's authors and year as an
independent reading of the .bib files gives them ("Rosenblatt, 1958", "Glorot and Bengio, 2010",
"LeCun et al., 1998"); and every citation in the chapters shows exactly the label of the entry it
links to.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpers.book import ROOT

pytestmark = pytest.mark.book

BIBFILES = sorted((ROOT / "book").glob("references*.bib"))


def _soup(path: Path):
    from bs4 import BeautifulSoup      # a dependency of the book's theme (pydata-sphinx-theme)

    assert path.exists(), f"{path} was not built"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _text(node) -> str:
    return " ".join(node.get_text(" ", strip=True).replace("\xa0", " ").split()).replace(" ,", ",")


def expected_label(entry) -> str:
    """Authors (or editors) and year, read directly from the entry: the oracle for the label style."""
    persons = entry.persons.get("author") or entry.persons.get("editor") or []
    last = [" ".join(p.prelast_names + p.last_names) for p in persons]
    last = [re.sub(r"[{}]", "", n) for n in last]
    if not last:
        who = re.sub(r"[{}]", "", entry.fields["title"])
    elif len(last) == 1:
        who = last[0]
    elif len(last) == 2:
        who = f"{last[0]} and {last[1]}"
    else:
        who = f"{last[0]} et al."
    return f"{who}, {entry.fields['year']}"


def bib_entries() -> dict:
    from pybtex.database import parse_file

    entries = {}
    for path in BIBFILES:
        entries.update(parse_file(str(path)).entries)
    return entries


def bibliography(html_root: Path) -> dict[str, str]:
    """{anchor id: label text} of every entry on the built bibliography page."""
    soup = _soup(html_root / "book" / "bibliography.html")
    out = {}
    for cit in soup.select(".citation[id], div[role='doc-biblioentry'][id]"):
        label = cit.select_one(".label")
        if label is not None:
            out[cit["id"]] = _text(label).strip("[] ")
    assert out, "the bibliography page lists no entries"
    return out


def test_labels_are_author_year_not_numbers(built_book):
    labels = bibliography(built_book)
    numeric = [lab for lab in labels.values() if re.fullmatch(r"\d+", lab)]
    assert not numeric, f"{len(numeric)} of {len(labels)} labels are numbers: {numeric[:5]}"
    expected = {expected_label(e) for e in bib_entries().values()}
    unknown = sorted(set(labels.values()) - expected)
    assert not unknown, (f"labels that are not 'Authors, year' of any .bib entry: {unknown[:8]}; "
                         f"expected e.g. {sorted(expected)[:4]}")


def test_citations_show_their_entrys_label(built_book):
    labels = bibliography(built_book)
    seen, problems = 0, []
    for page in sorted((built_book / "book").glob("*.html")):
        if page.name == "bibliography.html":
            continue
        for a in _soup(page).select("a[href*='bibliography.html#']"):
            target = a["href"].split("#", 1)[1]
            if target not in labels:
                continue
            seen += 1
            if _text(a) != labels[target]:
                problems.append(f"{page.name}: citation {_text(a)!r} links to the entry labelled {labels[target]!r}")
    assert seen >= 10, f"only {seen} citations link to the bibliography"
    assert not problems, f"{len(problems)} of {seen} citations differ from their entry's label:\n" + "\n".join(problems[:20])
