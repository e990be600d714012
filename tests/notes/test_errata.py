"""Tests for cnnlab/notes/errata.py: every chapter module's errata, collected, unique and computable."""

import pytest

from cnnlab.notes import errata

ALL = errata.all_errata()


def test_errata_are_collected_from_every_chapter_module():
    assert len(ALL) >= 10
    assert {e.chapter for e in ALL} >= {"06_backprop", "07_convolution", "09_conv_backprop", "10_architectures"}
    assert len({e.key for e in ALL}) == len(ALL)


@pytest.mark.parametrize("erratum", ALL, ids=lambda e: e.key)
def test_each_erratum_computes_a_value_that_differs_from_the_printed_one(erratum):
    exact = erratum.exact()
    assert isinstance(exact, str) and exact and exact != erratum.printed
    assert erratum.kind in ("wrong", "rounded")
    assert erratum.key.startswith("erratum-")


def test_errata_table_has_one_row_per_erratum_with_a_link():
    table = errata.errata_table()
    assert len(table.splitlines()) == 2 + len(ALL)
    for e in ALL:
        assert f"<{e.key}>`" in table


def test_duplicate_keys_are_refused(monkeypatch):
    monkeypatch.setattr(errata, "CHAPTER_MODULES", ("ch06_backprop", "ch06_backprop"))
    with pytest.raises(ValueError, match="all_errata: duplicate keys"):
        errata.all_errata()
