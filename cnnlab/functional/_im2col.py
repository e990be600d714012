"""im2col and col2im on the flat padded grid, a few samples at a time: the engine of conv2d.

A convolution becomes matrix products once every window is written out as a column (im2col):
out = W @ cols, dW = dout @ cols.T, dcols = W.T @ dout, and col2im adds dcols back onto the pixels
the columns were read from. The matmuls are fast in any BLAS; what costs is moving the data. Three
tricks keep that cheap, each used below and explained where it is used:

1. The grid. Lay each channel of the zero-padded input out flat, sample after sample, row after
   row (row length Wp). A window whose top-left corner is at flat position q reads, at kernel
   offset (u, v), position q + u dH Wp + v dW: a fixed shift per offset. So let q run over every
   position of the grid, not only the H' x W' corners of real windows. Then the row of the column
   matrix for (channel c, offset (u, v)) is one contiguous slice of channel c, and im2col and
   col2im are kH * kW slice copies / slice additions over long runs of memory (the strided-view
   im2col copies short rows of W' numbers instead, and its col2im is ~5x slower). The price: the
   columns at corners that are not real windows (in the padding, or too close to the edge) are
   computed too, and cropped away; for 28x28 images with padding 1 that is 900 columns for 784
   outputs. In the backward pass those columns get dout = 0, so they add nothing.
2. Phases, for strides. With stride (sH, sW), split the padded image into its sH * sW phases: the
   sub-images of rows r, r + sH, r + 2 sH, ... and columns t, t + sW, ... A strided window reads
   each tap from one phase, where consecutive windows are consecutive pixels: every phase is a
   stride-1 grid again, and the shifts above become (phase, shift) pairs. With stride 1 there is
   one phase: the padded image itself.
3. Chunks. Go through the batch a few samples at a time (about CHUNK_BYTES of columns each), with
   scratch buffers allocated once per call and reused for every chunk, so that no call allocates
   a full-size column matrix (33 MB for a batch of 64 x 16 x 28 x 28, gigabytes for VGG on
   ImageNet). Fresh large arrays are costly: unless malloc happens to keep them, the operating
   system maps and zeroes them on every call (the whole-batch version paid ~2400 page faults,
   11 ms, per forward + backward of that batch), and a chunk's columns are still in the CPU's
   cache when its matmul reads them. The only large arrays a call creates are those it returns.
   Nothing is kept between calls, so a returned array never shares memory with a buffer that a
   later call writes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from cnnlab._checks import Pair

# Columns per chunk, a compromise measured on the benchmark's conv. Smaller chunks stay in the
# cache: on one thread it takes 29 ms in 4 MiB chunks, 31 ms in 8 MiB, 37 ms in 16 MiB, ~50 ms as
# one whole batch. But a threaded BLAS synchronises its threads at every matmul, and on a busy
# machine, where a thread may wait for a core, each halving of the number of chunks cut the
# median 2-thread time by 1.3-2x.
CHUNK_BYTES = 2 ** 23


class Grid(NamedTuple):
    """Where a convolution's windows lie on the flat padded grid (trick 1 and 2 of the module notes)."""
    in_hw: Pair           # (H, W) of the input
    padding: Pair
    stride: Pair
    out_hw: Pair          # (H', W'): the real windows
    plane_hw: Pair        # (Hq, Wq): one phase of the padded input, rounded up to whole strides
    taps: tuple           # per kernel offset (u, v), row-major: (phase, shift along the flat plane)

    @property
    def plane(self) -> int:
        """Grid positions per sample and phase: Hq * Wq."""
        return self.plane_hw[0] * self.plane_hw[1]

    def span(self, samples: int) -> int:
        """Columns of a chunk: its grid positions, less the last max-shift ones (no window fits there)."""
        return samples * self.plane - max(shift for _, shift in self.taps)


def conv_grid(in_hw: Pair, out_hw: Pair, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair) -> Grid:
    """The Grid of a convolution of (H, W) = in_hw images giving (H', W') = out_hw outputs."""
    plane_hw = tuple(-(-(n + 2 * p) // s) for n, p, s in zip(in_hw, padding, stride))   # ceil((H + 2p) / s)
    taps = []
    for u in range(kernel[0]):
        # Tap row u reads padded row i sH + u dH = (i + down) sH + row_phase: row i + down of its phase.
        down, row_phase = divmod(u * dilation[0], stride[0])
        for v in range(kernel[1]):
            right, col_phase = divmod(v * dilation[1], stride[1])
            taps.append((row_phase * stride[1] + col_phase, down * plane_hw[1] + right))
    return Grid(tuple(in_hw), tuple(padding), tuple(stride), tuple(out_hw), plane_hw, tuple(taps))


class _Planes:
    """Scratch for one chunk of inputs on the grid: padded (C, nb, Hq sH, Wq sW) and its phases."""

    def __init__(self, grid: Grid, channels: int, samples: int, dtype: np.dtype):
        self.grid = grid
        (hq, wq), (sh, sw) = grid.plane_hw, grid.stride
        self.padded = np.zeros((channels, samples, hq * sh, wq * sw), dtype)   # the border stays zero
        if sh * sw == 1:
            self.phases = self.padded.reshape(1, channels, -1)                # a view: no copy needed
        else:
            self.phases = np.empty((sh * sw, channels, samples * grid.plane), dtype)

    def load(self, x: np.ndarray) -> np.ndarray:
        """Phases (P, C, m Hq Wq) of x (m, C, H, W), zero-padded; channels first."""
        g, m = self.grid, x.shape[0]
        (h, w), (ph, pw), (sh, sw), (hq, wq) = g.in_hw, g.padding, g.stride, g.plane_hw
        self.padded[:, :m, ph:ph + h, pw:pw + w] = x.transpose(1, 0, 2, 3)
        if sh * sw > 1:   # row r of phase (a, b) is padded row r sH + a, column t is t sW + b
            split = self.padded[:, :m].reshape(-1, m, hq, sh, wq, sw).transpose(3, 5, 0, 1, 2, 4)
            self.phases[:, :, :m * g.plane].reshape(sh, sw, -1, m, hq, wq)[...] = split
        return self.phases

    def store(self, phases: np.ndarray, m: int, dx: np.ndarray) -> None:
        """dx (m, C, H, W) <- phases: the inverse of load (undo the phase split, drop the padding)."""
        g = self.grid
        (h, w), (ph, pw), (sh, sw), (hq, wq) = g.in_hw, g.padding, g.stride, g.plane_hw
        merged = phases[:, :, :m * g.plane].reshape(sh, sw, -1, m, hq, wq).transpose(3, 2, 4, 0, 5, 1)
        dx[...] = merged.reshape(m, -1, hq * sh, wq * sw)[:, :, ph:ph + h, pw:pw + w]


def im2col(phases: np.ndarray, grid: Grid, span: int, cols: np.ndarray) -> np.ndarray:
    """cols (C, kH kW, span) <- the windows at the first span grid positions of phases (P, C, ...).

    Row (c, tap) is one contiguous slice of channel c's phase: one copy per kernel offset.
    """
    for k, (phase, shift) in enumerate(grid.taps):
        cols[:, k, :span] = phases[phase, :, shift:shift + span]
    return cols[:, :, :span]


def col2im(dcols: np.ndarray, grid: Grid, span: int, dphases: np.ndarray) -> np.ndarray:
    """Adjoint of im2col: add dcols (C, kH kW, span) back onto the positions they were read from."""
    dphases.fill(0)
    for k, (phase, shift) in enumerate(grid.taps):
        dphases[phase, :, shift:shift + span] += dcols[:, k]       # overlapping windows add up
    return dphases


def _chunk_size(columns_per_sample: int, itemsize: int) -> int:
    return max(1, CHUNK_BYTES // max(1, columns_per_sample * itemsize))


def conv_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray | None, grid: Grid, groups: int) -> np.ndarray:
    """out (N, F, H', W') = conv2d(x, w) + b, chunk by chunk: im2col, one matmul per group, crop."""
    n, c = x.shape[:2]
    f, taps = w.shape[0], len(grid.taps)
    (hq, wq), (ho, wo) = grid.plane_hw, grid.out_hw
    nb = _chunk_size(c * taps * grid.plane, x.itemsize)
    planes = _Planes(grid, c, min(nb, n), x.dtype)
    cols = np.empty((c, taps, min(nb, n) * grid.plane), x.dtype)
    out_grid = np.empty((f, min(nb, n) * grid.plane), x.dtype)        # W @ cols, on the grid
    w_g = w.reshape(groups, f // groups, -1)                          # (G, F/G, C/G kH kW)
    out = np.empty((n, f) + grid.out_hw, x.dtype)
    for n0 in range(0, n, nb):
        m = min(nb, n - n0)
        span = grid.span(m)
        cols_g = im2col(planes.load(x[n0:n0 + m]), grid, span, cols).reshape(groups, -1, span)
        np.matmul(w_g, cols_g, out=out_grid[:, :span].reshape(groups, f // groups, span))
        # Keep the real windows (the top-left H' x W' corners of each sample's plane), samples first.
        real = out_grid[:, :m * grid.plane].reshape(f, m, hq, wq)[:, :, :ho, :wo].transpose(1, 0, 2, 3)
        if b is None:
            out[n0:n0 + m] = real
        else:
            np.add(real, b[:, None, None], out=out[n0:n0 + m])       # crop and add the bias in one pass
    return out


def conv_backward(dout: np.ndarray, x: np.ndarray | None, w: np.ndarray, grid: Grid, groups: int,
                  x_shape: tuple) -> tuple[np.ndarray, np.ndarray | None]:
    """(dx, dw) of out = conv2d(x, w) for the upstream gradient dout (N, F, H', W').

    dx = col2im(W.T @ dout); dw = dout @ cols.T, summed over the chunks. With x=None only dx is
    computed (the transposed convolution's forward pass).
    """
    n, c = x_shape[:2]
    f, taps = w.shape[0], len(grid.taps)
    ho, wo = grid.out_hw
    nb = _chunk_size(c * taps * grid.plane, dout.itemsize)
    size = min(nb, n)
    planes = _Planes(grid, c, size, dout.dtype)
    cols = np.empty((c, taps, size * grid.plane), dout.dtype)
    dcols = np.empty_like(cols)
    dphases = np.empty_like(planes.phases)
    dout_grid = np.zeros((f, size) + grid.plane_hw, dout.dtype)      # zero at the corners that are not windows
    w_g = w.reshape(groups, f // groups, -1)
    dw = np.zeros(w_g.shape, dout.dtype) if x is not None else None
    dx = np.empty(x_shape, dout.dtype)
    for n0 in range(0, n, nb):
        m = min(nb, n - n0)
        span = grid.span(m)
        dout_grid[:, :m, :ho, :wo] = dout[n0:n0 + m].transpose(1, 0, 2, 3)
        dout_g = dout_grid.reshape(f, -1)[:, :span].reshape(groups, f // groups, span)
        if dw is not None:
            cols_g = im2col(planes.load(x[n0:n0 + m]), grid, span, cols).reshape(groups, -1, span)
            dw += np.matmul(dout_g, cols_g.transpose(0, 2, 1))        # dW = dout @ cols.T
        dcols_g = dcols[:, :, :span].reshape(groups, -1, span)
        if f == groups:   # one filter per group (depthwise): W.T @ dout is an outer product,
            np.multiply(w_g.transpose(0, 2, 1), dout_g, out=dcols_g)  # which broadcasting does faster
        else:
            np.matmul(w_g.transpose(0, 2, 1), dout_g, out=dcols_g)    # dcols = W.T @ dout
        planes.store(col2im(dcols[:, :, :span], grid, span, dphases), m, dx[n0:n0 + m])
    return dx, (dw.reshape(w.shape) if dw is not None else None)
