"""Architecture diagrams drawn from the model itself: ``trace`` records the units a forward pass
calls, ``draw`` lays them out left to right with matplotlib.

``trace(model, (3, 224, 224))`` runs one forward pass on zeros (on the device of the model's
parameters, so a model built under ``torch.device("meta")`` costs no memory and no arithmetic) with
a forward hook on every *unit*: a module of one of the ``BLOCKS`` classes (an inception module, a
residual block, an auxiliary classifier, GoogLeNet's conv + ReLU) or a leaf module outside them.
Each unit is recorded with its kind ("conv 3x3/2", "bottleneck"), output shape and parameters. A
unit whose output no later unit reads and that is not the last (GoogLeNet's auxiliary classifiers)
is a branch, drawn off the main line at the unit that feeds it.

Boxes are as tall as the square root of the output's side (H) and as wide as log2 of its channels;
the label says the kind and the output shape. Importing this module imports torch and matplotlib.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import torch
from torch import nn

from ._utils import run_hooked
from .googlenet import BasicConv2d, Inception, InceptionAux, InceptionNaive
from .lenet import PartialConv2d, RBFOutput, ScaledTanh, Subsampling
from .resnet import BasicBlock, Bottleneck

__all__ = ["Unit", "trace", "draw", "BLOCKS", "HIDDEN"]

# Modules drawn as one box, whatever they contain.
BLOCKS: tuple[type[nn.Module], ...] = (Inception, InceptionNaive, InceptionAux, BasicBlock, Bottleneck, BasicConv2d)
# Kinds that ``draw`` leaves out by default: they change neither the shape nor the story.
HIDDEN = ("relu", "tanh", "sigmoid", "batch norm", "dropout", "flatten", "LRN")


class Unit(NamedTuple):
    """One call of one unit. ``shape``: its output without the batch dimension; ``params``: the
    unit's parameters the first time it is called (0 after); ``source``: the index of the unit whose
    output it reads (-1: the input); ``branch``: True when no later unit reads its output."""

    name: str
    kind: str
    shape: tuple[int, ...]
    params: int
    source: int
    branch: bool


def _pair(v) -> int:
    return v[0] if isinstance(v, (tuple, list)) else int(v)


def _window(k, s) -> str:
    k, s = _pair(k), _pair(s)
    return f"{k}x{k}" + (f"/{s}" if s > 1 else "")


def kind_of(module: nn.Module) -> str:
    """A short name for what ``module`` does: "conv 5x5", "max pool 3x3/2", "bottleneck/2", ..."""
    if isinstance(module, BasicConv2d):
        return kind_of(module.conv)
    if isinstance(module, (BasicBlock, Bottleneck)):
        name = "basic block" if isinstance(module, BasicBlock) else "bottleneck"
        conv = module.conv1 if isinstance(module, BasicBlock) else module.conv2
        return name + ("/2" if _pair(conv.stride) > 1 else "")
    simple = {Inception: "inception", InceptionNaive: "naive inception", InceptionAux: "aux classifier",
              Subsampling: "subsample 2x2", RBFOutput: "RBF", ScaledTanh: "tanh",
              nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid",
              nn.BatchNorm2d: "batch norm", nn.BatchNorm1d: "batch norm", nn.Dropout: "dropout",
              nn.Flatten: "flatten", nn.LocalResponseNorm: "LRN", nn.Linear: "fc"}
    for cls, name in simple.items():
        if type(module) is cls:
            return name
    if isinstance(module, PartialConv2d):
        return f"conv {_window(module.kernel_size, 1)} partial"
    if isinstance(module, nn.Conv2d):
        return f"conv {_window(module.kernel_size, module.stride)}"
    if isinstance(module, (nn.MaxPool2d, nn.AvgPool2d)):
        kind = "max" if isinstance(module, nn.MaxPool2d) else "avg"
        return f"{kind} pool {_window(module.kernel_size, module.stride or module.kernel_size)}"
    if isinstance(module, (nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)):
        kind = "max" if isinstance(module, nn.AdaptiveMaxPool2d) else "avg"
        size = _pair(module.output_size)
        return f"global {kind} pool" if size == 1 else f"{kind} pool to {size}x{size}"
    return type(module).__name__


def _units(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules that ``trace`` hooks: BLOCKS, and leaf modules outside them."""
    units, inside = [], []
    for name, m in model.named_modules():
        if any(name.startswith(prefix + ".") for prefix in inside):
            continue
        if isinstance(m, BLOCKS) and m is not model:
            units.append((name, m))
            inside.append(name)
        elif next(m.children(), None) is None:
            units.append((name or type(m).__name__, m))
    return units


def trace(model: nn.Module, input_size: Sequence[int], *, training: bool = False) -> list[Unit]:
    """Run ``model`` once on zeros of shape (1, *input_size) and record every unit it calls, in order.

    input_size: (C, H, W). ``training=True`` runs it in training mode (GoogLeNet's auxiliary
    classifiers only run then); the model's mode is restored afterwards. Returns a list of Unit.
    """
    if not (isinstance(input_size, (tuple, list)) and all(isinstance(s, int) and s > 0 for s in input_size)):
        raise ValueError(f"trace: input_size must be positive ints without the batch dimension, got {input_size!r}")
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    x = torch.zeros((1, *input_size), device=device)
    producer: dict[int, int] = {id(x): -1}   # id of a tensor -> index of the unit that made it
    keep: list[torch.Tensor] = [x]            # hold every output so that no id is reused
    records: list[list] = []
    seen: set[int] = set()

    def hook(name: str):
        def record(module: nn.Module, inputs, output) -> None:
            inp = next((t for t in inputs if isinstance(t, torch.Tensor)), None)
            source = producer.get(id(inp), -1) if inp is not None else -1
            params = 0 if id(module) in seen else sum(p.numel() for p in module.parameters())
            seen.add(id(module))
            records.append([name, kind_of(module), tuple(output.shape[1:]), params, source])
            producer[id(output)] = len(records) - 1
            keep.append(output)
        return record

    run_hooked(model, x, [(m, hook(name)) for name, m in _units(model)], training=training)
    read = {r[4] for r in records}
    last = len(records) - 1
    return [Unit(*r, branch=i not in read and i != last) for i, r in enumerate(records)]


def _label(unit: Unit) -> str:
    return unit.kind + "\n" + "x".join(map(str, unit.shape))


def _size(shape: tuple[int, ...], side_max: int, log_c_max: float) -> tuple[float, float]:
    """(width, height) of a box: width from log2(channels), height from sqrt(H / H_max)."""
    channels = shape[0]
    side = shape[1] if len(shape) == 3 else 1
    width = 0.25 + 0.55 * math.log2(max(channels, 2)) / log_c_max
    height = 0.15 + 0.85 * math.sqrt(side / side_max)
    return width, height


def draw(units: Sequence[Unit], *, input_size: Sequence[int] | None = None, hide: Sequence[str] = HIDDEN,
         rows: int = 1, ax=None, title: str | None = None, fontsize: float = 9):
    """Draw ``units`` (from ``trace``) left to right, the input first when ``input_size`` is given.

    Units whose kind is in ``hide`` are left out (their parameters stay in the trace). ``rows``
    wraps the main line over that many rows; branches are drawn above the unit that feeds them.
    Returns the matplotlib Figure.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, Rectangle

    if rows < 1:
        raise ValueError(f"draw: rows must be >= 1, got {rows}")
    shown = [(i, u) for i, u in enumerate(units) if u.kind not in hide]
    main = [(i, u) for i, u in shown if not u.branch]
    branches = [(i, u) for i, u in shown if u.branch]
    if input_size is not None:
        main.insert(0, (-1, Unit("input", "input", tuple(input_size), 0, -1, False)))
    if not main:
        raise ValueError("draw: no unit left to draw (all hidden?)")
    shapes = [u.shape for _, u in main + branches]
    side_max = max(s[1] if len(s) == 3 else 1 for s in shapes)
    log_c_max = max(math.log2(max(s[0], 2)) for s in shapes)

    per_row = math.ceil(len(main) / rows)
    step, row_height = 1.0, 4.6 if branches else 3.4
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(8.0, 0.42 * per_row + 0.4), row_height * 0.62 * rows))
    fig = ax.figure
    where: dict[int, tuple[float, float]] = {}   # unit index -> (x centre, y of the line)
    index_of_shown = {i for i, _ in main}
    for k, (i, u) in enumerate(main):
        r, c = divmod(k, per_row)
        x, y = c * step, -r * row_height
        w, h = _size(u.shape, side_max, log_c_max)
        colour = "0.85" if u.kind == "input" else "C0" if "conv" in u.kind or "block" in u.kind \
            or "bottleneck" in u.kind or "inception" in u.kind else "C1" if "pool" in u.kind or "subsample" in u.kind \
            else "C2"
        ax.add_patch(Rectangle((x - w / 2, y - h / 2), w, h, facecolor=colour, edgecolor="k", alpha=0.8, lw=0.8))
        ax.text(x, y - 0.6, _label(u), rotation=90, ha="center", va="top", fontsize=fontsize)
        if k and c:
            px = where[main[k - 1][0]][0]
            ax.add_patch(FancyArrowPatch((px + 0.3 * step, y), (x - 0.3 * step, y), arrowstyle="-|>",
                                         mutation_scale=8, lw=0.8, color="k"))
        where[i] = (x, y)
    for i, u in branches:
        src = units[i].source
        while src not in index_of_shown and src >= 0:   # the nearest drawn unit upstream
            src = units[src].source
        x, y = where.get(src, (0.0, 0.0))
        w, h = _size(u.shape, side_max, log_c_max)
        top = y + 1.35
        ax.add_patch(Rectangle((x - w / 2, top), w, h, facecolor="C3", edgecolor="k", alpha=0.8, lw=0.8))
        ax.add_patch(FancyArrowPatch((x, y + 0.55), (x, top), arrowstyle="-|>", mutation_scale=8, lw=0.8, color="C3"))
        ax.text(x, top + h + 0.1, _label(u), ha="center", va="bottom", fontsize=fontsize, color="C3")
    n_rows = math.ceil(len(main) / per_row)
    ax.set_xlim(-0.6, per_row * step - 0.4)
    ax.set_ylim(-(n_rows - 1) * row_height - 3.0, 3.2 if branches else 0.7)
    ax.set_aspect("auto")
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=fontsize + 1)
    return fig
