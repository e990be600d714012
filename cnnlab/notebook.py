"""What the book's chapters need from their notebook environment, with or without Jupyter Book.

``glue`` hands a computed value to the text of a chapter (``{glue:text}`name```). Inside the book
build it is myst_nb's ``glue``; in plain Jupyter or on Colab, where myst_nb is not installed, the
generated notebook already shows the value in its text, so ``glue`` only displays the value when
asked to (``display=True``), as myst_nb does.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def glue(name: str, value: Any, display: bool = False) -> None:
    """Hand ``value`` to the text as ``{glue:text}`name```; numpy scalars become Python numbers."""
    if not isinstance(name, str) or not name:
        raise TypeError(f"glue: name must be a non-empty str, got {name!r}")
    value = value.item() if isinstance(value, np.generic) else value
    try:
        from myst_nb import glue as myst_glue
    except ImportError:                    # plain Jupyter, Colab: the text already holds the value
        if display:
            from IPython.display import display as ipython_display
            ipython_display(value)
        return
    myst_glue(name, value, display=display)
