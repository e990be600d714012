"""cnnlab.notebook.glue: myst_nb's glue inside the book build, quiet in plain Jupyter and on Colab."""

import sys
import types

import numpy as np
import pytest

from cnnlab.notebook import glue


def test_without_myst_nb_glue_shows_only_what_is_asked(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "myst_nb", None)          # as on Colab: `import myst_nb` fails
    glue("quiet", np.float64(0.5))
    assert capsys.readouterr().out == ""
    glue("shown", np.int64(7), display=True)
    assert capsys.readouterr().out.strip() == "7"


def test_with_myst_nb_glue_hands_python_numbers_to_it(monkeypatch):
    calls = []
    fake = types.ModuleType("myst_nb")
    fake.glue = lambda name, value, display=True: calls.append((name, value, type(value), display))
    monkeypatch.setitem(sys.modules, "myst_nb", fake)
    glue("acc", np.float32(0.25))
    glue("n", 3, display=True)
    assert calls == [("acc", 0.25, float, False), ("n", 3, int, True)]


def test_bad_name():
    with pytest.raises(TypeError, match="glue: name must be a non-empty str"):
        glue("", 1)
