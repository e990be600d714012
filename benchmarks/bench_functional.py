"""Speed of cnnlab.functional's vectorised conv and pooling against torch on the CPU, in float32.

    python benchmarks/bench_functional.py            # or: make bench
    python benchmarks/bench_functional.py --repeats 20 --threads 1

Each row times forward + backward of one op on one shape, ours (numpy) and torch's (autograd),
interleaved in the same run, and keeps the best of ``--repeats`` runs of each. torch gets as many
threads as numpy's BLAS uses (read with threadpoolctl), so the two compete on equal terms
(``--threads N`` limits both to N). The course's target: conv2d and max_pool2d within 3x of torch on the first shape of each.

Some machines export OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE, which can pick slower OpenBLAS kernels
for numpy. The header prints them; to compare, also run
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_functional.py
Timings on a busy machine are noisy: best-of-N removes most, not all, of the noise.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Callable

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from cnnlab import functional as F

TARGET = 3.0   # our time / torch's time must stay below this on the target rows


def _conv(n, c_in, c_out, size, k, stride=1, padding=0, groups=1):
    """(label, numpy step, torch step) for conv2d forward + backward."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
    w = rng.standard_normal((c_out, c_in // groups, k, k), dtype=np.float32)
    b = rng.standard_normal(c_out, dtype=np.float32)
    hyper = {"stride": stride, "padding": padding, "groups": groups}
    dout = np.ones_like(F.conv2d(x, w, b, **hyper))
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    doutt = torch.tensor(dout)

    def ours():
        out, cache = F.conv2d_forward(x, w, b, **hyper)
        F.conv2d_backward(dout, cache)

    def theirs():
        torch.nn.functional.conv2d(xt, wt, bt, **hyper).backward(doutt)
    label = f"conv2d     x({n},{c_in},{size},{size}) w({c_out},{c_in // groups},{k},{k}) s{stride} p{padding} g{groups}"
    return label, ours, theirs


def _pool(kind, n, c, size, k, stride=None):
    """(label, numpy step, torch step) for max or avg pooling forward + backward."""
    x = np.random.default_rng(0).standard_normal((n, c, size, size), dtype=np.float32)
    forward, backward = {"max": (F.max_pool2d_forward, F.max_pool2d_backward),
                         "avg": (F.avg_pool2d_forward, F.avg_pool2d_backward)}[kind]
    torch_fn = {"max": torch.nn.functional.max_pool2d, "avg": torch.nn.functional.avg_pool2d}[kind]
    dout = np.ones_like(forward(x, kernel_size=k, stride=stride)[0])
    xt, doutt = torch.tensor(x, requires_grad=True), torch.tensor(dout)

    def ours():
        backward(dout, forward(x, kernel_size=k, stride=stride)[1])

    def theirs():
        torch_fn(xt, k, stride).backward(doutt)
    return f"{kind}_pool2d x({n},{c},{size},{size}) k{k} s{stride or k}", ours, theirs


def _best_pair(ours: Callable[[], None], theirs: Callable[[], None], repeats: int) -> tuple[float, float]:
    """Best wall time of each, alternating runs so both see the same machine load."""
    ours(), theirs()                               # warm-up: allocations, torch's first-call setup
    best = [np.inf, np.inf]
    for _ in range(repeats):
        for i, step in enumerate((ours, theirs)):
            start = time.perf_counter()
            step()
            best[i] = min(best[i], time.perf_counter() - start)
    return best[0], best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per row (best is kept)")
    parser.add_argument("--threads", type=int, default=None,
                        help="limit numpy's BLAS and torch to this many threads (default: BLAS's own count)")
    args = parser.parse_args()
    if args.threads is not None:
        threadpool_limits(limits=args.threads, user_api="blas")

    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    threads = max((p["num_threads"] for p in blas), default=1)
    torch.set_num_threads(threads)
    env = {k: os.environ.get(k, "(unset)") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    print(f"numpy {np.__version__} ({', '.join(p['internal_api'] + ' ' + p['version'] for p in blas)}), "
          f"torch {torch.__version__}, {platform.machine()}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"threads: numpy BLAS {threads}, torch {torch.get_num_threads()}; "
          + ", ".join(f"{k}={v}" for k, v in env.items()))
    print(f"float32, forward + backward, best of {args.repeats}; target rows (*) must be within {TARGET:g}x\n")

    rows = [  # (is a target row, case)
        (True, _conv(64, 16, 32, 28, 3, padding=1)),
        (False, _conv(32, 3, 16, 32, 5, padding=2)),
        (False, _conv(16, 64, 64, 14, 3, padding=1)),
        (False, _conv(32, 32, 64, 16, 3, stride=2, padding=1)),
        (False, _conv(32, 32, 32, 16, 3, padding=1, groups=32)),
        (True, _pool("max", 64, 32, 28, 2)),
        (False, _pool("max", 64, 32, 27, 3, 2)),
        (False, _pool("avg", 64, 32, 28, 2)),
    ]
    print(f"{'':2}{'op and shape':<62}{'ours ms':>9}{'torch ms':>10}{'ratio':>8}  within {TARGET:g}x")
    for target, (label, ours, theirs) in rows:
        t_ours, t_torch = _best_pair(ours, theirs, args.repeats)
        ratio = t_ours / t_torch
        verdict = "yes" if ratio <= TARGET else "NO"
        print(f"{'* ' if target else '  '}{label:<62}{1e3 * t_ours:9.2f}{1e3 * t_torch:10.2f}{ratio:8.2f}  {verdict}")


if __name__ == "__main__":
    main()
