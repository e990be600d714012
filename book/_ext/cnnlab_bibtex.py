"""Sphinx extension for the cnnlab book: bibliography labels in the author-year style of the citations.

The book cites with ``bibtex_reference_style: author_year``, so the text shows "[LeCun et al., 1998]";
pybtex's formatting styles label the bibliography's entries with numbers ("[1]") or alpha codes
("[LBBH98]") instead. This module registers a pybtex label style that builds each entry's label
from the same template the citations use (sphinxcontrib-bibtex's author-or-editor-or-title, then
the year, joined by ", "; "et al." beyond two persons, "A and B" for two), and a formatting style,
``cnnlab``, that is pybtex's ``plain`` with that label style. ``_config.yml`` selects it with
``bibtex_default_style: cnnlab``; tests/book/test_bibliography.py checks the built page.
"""

from __future__ import annotations

from types import SimpleNamespace

import pybtex.plugin
from pybtex.style.formatting.plain import Style as PlainStyle
from pybtex.style.labels import BaseLabelStyle
from sphinxcontrib.bibtex.style.referencing import PersonStyle
from sphinxcontrib.bibtex.style.template import join, year

LABEL_STYLE = "cnnlab_author_year"
FORMATTING_STYLE = "cnnlab"
AUTHOR_YEAR_SEP = ", "     # sphinxcontrib-bibtex's AuthorYearReferenceStyle.author_year_sep


def author_year_label(entry, person: PersonStyle | None = None) -> str:
    """'LeCun et al., 1998', 'Glorot and Bengio, 2010': what an author-year citation of entry shows."""
    person = person or PersonStyle()
    template = join(sep=AUTHOR_YEAR_SEP)[person.author_or_editor_or_title(full=False), year]
    text = template.format_data({"entry": entry, "style": SimpleNamespace(person=person)})
    return " ".join(text.render_as("text").split())       # ties (non-breaking spaces) as spaces


class AuthorYearLabelStyle(BaseLabelStyle):
    """pybtex label style: each entry labelled as its author-year citation reads."""

    def format_labels(self, sorted_entries):
        person = PersonStyle()
        for entry in sorted_entries:
            yield author_year_label(entry, person)


class AuthorYearStyle(PlainStyle):
    """pybtex's plain formatting, labelled author-year."""

    default_label_style = LABEL_STYLE


def register() -> None:
    pybtex.plugin.register_plugin("pybtex.style.labels", LABEL_STYLE, AuthorYearLabelStyle)
    pybtex.plugin.register_plugin("pybtex.style.formatting", FORMATTING_STYLE, AuthorYearStyle)


def setup(app):
    register()
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
