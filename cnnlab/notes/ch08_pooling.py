"""Chapter 8, pooling: the notes' 6x6 feature map under 2x2 max pooling at stride 2.

Notes 003, "Max Pooling" (and its gradient slide): the map and the pooled (3, 3) result.
"""

from __future__ import annotations

import numpy as np

from cnnlab.functional.pooling import max_pool2d

__all__ = ["MAXPOOL_X", "NOTES_MAXPOOL", "maxpool_example", "ERRATA"]

MAXPOOL_X = np.array([[2, 2, 0, 4, 3, 4],
                      [0, 0, 5, 0, 4, 1],
                      [4, 5, 2, 5, 1, 4],
                      [5, 2, 1, 0, 2, 1],
                      [2, 3, 3, 3, 5, 3],
                      [0, 3, 0, 4, 0, 1]], dtype=np.float64)
NOTES_MAXPOOL = np.array([[2, 5, 4], [5, 5, 4], [3, 4, 5]], dtype=np.float64)


def maxpool_example() -> np.ndarray:
    """2x2 max pooling at stride 2 of the notes' 6x6 map: (3, 3)."""
    return max_pool2d(MAXPOOL_X[None, None], kernel_size=2, stride=2)[0, 0]


ERRATA = ()
