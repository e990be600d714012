"""The name released assignment A2 imports (``from cnnlab import worked``): the notes' backpropagation
example, which now lives in :mod:`cnnlab.notes.ch06_backprop`.

Every worked example of the notes is in :mod:`cnnlab.notes`, one module per book chapter; this
module only keeps the released notebooks working unchanged. New code imports ``cnnlab.notes``.
"""

from cnnlab.notes.ch06_backprop import (BACKPROP_ETA, BACKPROP_T, BACKPROP_W_HIDDEN, BACKPROP_W_OUTPUT,
                                        BACKPROP_X, NOTES_BACKPROP, BackpropExample, backprop_example)

__all__ = ["BACKPROP_X", "BACKPROP_T", "BACKPROP_ETA", "BACKPROP_W_HIDDEN", "BACKPROP_W_OUTPUT",
           "NOTES_BACKPROP", "BackpropExample", "backprop_example"]
