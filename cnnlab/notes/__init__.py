"""The lecture notes' worked examples and printed numbers, written once, one module per book chapter.

Each ``chNN_<topic>`` module holds, for the book chapter of the same name, the notes' inputs (module
constants in the notes' layout), what the notes print (``NOTES_*``, rounded as printed) and
functions that compute every value exactly (float64). Where the notes are wrong or rounded, the
module's ``ERRATA`` says so, with a function computing the exact value; :mod:`cnnlab.notes.errata`
collects them for the errata page. The book, the tests and the errata page import these modules;
no number of the notes is typed anywhere else. Nothing is computed at import time.

The five sets of notes are cited by topic: "perceptron and backpropagation", "activations and CNN
history", "CNN layers" (convolution, output sizes, AlexNet), "CNN architectures and training" and
"convolution arithmetic and backpropagation".
"""

from . import (ch03_softmax_losses, ch05_gradients, ch06_backprop, ch07_convolution, ch08_pooling,
               ch09_conv_backprop, ch10_architectures, ch11_training, errata)

__all__ = ["ch03_softmax_losses", "ch05_gradients", "ch06_backprop", "ch07_convolution", "ch08_pooling",
           "ch09_conv_backprop", "ch10_architectures", "ch11_training", "errata"]
