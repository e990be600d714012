"""Speed of cnnlab.functional's vectorised conv and pooling against torch on the CPU, in float32.

    python benchmarks/bench_functional.py                 # or: make bench
    python benchmarks/bench_functional.py --repeats 30 --threads 1 2 --only-targets

Each row times forward + backward of one op on one shape: ours (numpy) and torch's (autograd).
Every row runs at 1 thread and at the machine's thread count (numpy's BLAS limited with
threadpoolctl, torch with torch.set_num_threads), and the header prints the counts actually in use.
The course's target: on the rows marked *, ours is within 3x of torch at every thread count.

How the timing is kept honest
-----------------------------
Each side is timed in blocks of its own: one warm-up call (allocations, torch's first-call
setup), then ``--repeats`` calls, of which the best counts. Between blocks the script waits until the process
is idle, and prints how long that took. The wait matters. A thread pool does not go to sleep when
its work is done: OpenBLAS's threads (numpy) and OpenMP's (torch) spin, burning a core, for a
while in case more work comes. An earlier version of this script alternated one step of ours and
one of torch's in a single loop, so torch always ran while numpy's BLAS threads were still
spinning on the same two cores; torch's conv step took 20 ms instead of 8 ms, and a 4.6x gap
printed as 2.2x. Here, after each block, the script sleeps in short steps and reads the process's
CPU time: while some thread still spins it keeps growing; once a step costs (almost) no CPU, every
pool is asleep and the next block starts on an idle machine.

One more effect can make torch look slow: glibc's malloc hands large freed blocks back to the
operating system until the program has freed one block of a few tens of MB; until then every
large temporary is mapped and zeroed afresh on each call (torch's conv step then pays ~4700 page
faults, +12 ms). Which state a process is in depends on what it ran before, so before timing
anything the script frees one 30 MB block, putting both sides in the steady state of a long
training run.

Timings on a busy machine are noisy. The best of N removes most of the noise within a block;
against a burst of load that slows one whole block, each row runs ``--rounds`` rounds of
(our block, torch's block) and keeps each side's best. The "noise" column (median / best - 1, the
worse of the two sides) says how much was left.
Some machines export OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (older OpenBLAS builds misbehave
without them); they can make a current numpy pick slower kernels. The header prints them and the
kernel OpenBLAS chose; to compare, run
    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_functional.py
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from typing import Callable, NamedTuple

import numpy as np
import torch
from threadpoolctl import threadpool_info, threadpool_limits

from cnnlab import functional as F

TARGET = 3.0   # our time / torch's time must stay at or below this on the target rows


class Case(NamedTuple):
    label: str
    target: bool                 # one of the rows the course's target applies to
    ours: Callable[[], None]     # numpy forward + backward
    theirs: Callable[[], None]   # torch forward + backward


def _conv(n, c_in, c_out, size, k, stride=1, padding=0, groups=1, *, target=False) -> Case:
    """conv2d forward + backward on x (n, c_in, size, size), w (c_out, c_in/groups, k, k), with bias."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, size, size), dtype=np.float32)
    w = rng.standard_normal((c_out, c_in // groups, k, k), dtype=np.float32)
    b = rng.standard_normal(c_out, dtype=np.float32)
    hyper = {"stride": stride, "padding": padding, "groups": groups}
    dout = rng.standard_normal(F.conv2d(x, w, b, **hyper).shape, dtype=np.float32)
    xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    doutt = torch.tensor(dout)

    def ours():
        out, cache = F.conv2d_forward(x, w, b, **hyper)
        F.conv2d_backward(dout, cache)

    def theirs():
        torch.nn.functional.conv2d(xt, wt, bt, **hyper).backward(doutt)
    label = f"conv2d x({n},{c_in},{size},{size}) w({c_out},{c_in // groups},{k},{k}) s{stride} p{padding} g{groups}"
    return Case(label, target, ours, theirs)


def _pool(kind, n, c, size, k, stride=None, *, target=False) -> Case:
    """max or avg pooling forward + backward on x (n, c, size, size)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c, size, size), dtype=np.float32)
    forward, backward = {"max": (F.max_pool2d_forward, F.max_pool2d_backward),
                         "avg": (F.avg_pool2d_forward, F.avg_pool2d_backward)}[kind]
    torch_fn = {"max": torch.nn.functional.max_pool2d, "avg": torch.nn.functional.avg_pool2d}[kind]
    dout = rng.standard_normal(forward(x, kernel_size=k, stride=stride)[0].shape, dtype=np.float32)
    xt, doutt = torch.tensor(x, requires_grad=True), torch.tensor(dout)

    def ours():
        backward(dout, forward(x, kernel_size=k, stride=stride)[1])

    def theirs():
        torch_fn(xt, k, stride).backward(doutt)
    return Case(f"{kind}_pool2d x({n},{c},{size},{size}) k{k} s{stride or k}", target, ours, theirs)


def cases() -> list[Case]:
    return [
        _conv(64, 16, 32, 28, 3, padding=1, target=True),
        _conv(32, 3, 16, 32, 5, padding=2),
        _conv(16, 64, 64, 14, 3, padding=1),
        _conv(32, 32, 64, 16, 3, stride=2, padding=1),
        _conv(32, 32, 32, 16, 3, padding=1, groups=32),
        _pool("max", 64, 32, 28, 2, target=True),
        _pool("max", 64, 32, 27, 3, 2),
        _pool("avg", 64, 32, 28, 2),
    ]


def wait_until_idle(step: float = 0.02, idle_cpu: float = 0.1, limit: float = 5.0) -> float:
    """Sleep until no thread of this process is spinning; return the seconds it took.

    Sleeps in steps of ``step`` seconds; the process is idle once a step costs less than
    ``idle_cpu`` of a core in CPU time (spinning pools cost a whole core each).
    """
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        cpu = time.process_time()
        time.sleep(step)
        if time.process_time() - cpu < idle_cpu * step:
            break
    return time.perf_counter() - start


def time_block(step: Callable[[], None], repeats: int) -> tuple[list[float], float]:
    """Warm up once, then time ``repeats`` calls in a row; then wait for the thread pools to sleep.

    Returns the times (seconds) and how long the pools took to go idle.
    """
    step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times, wait_until_idle()


def settle_allocator() -> None:
    """Free one 30 MB block so that glibc keeps (rather than unmaps) freed blocks up to 30 MB."""
    np.ones(30 << 20, np.uint8)          # made and freed at once: malloc raises its mmap threshold


def set_threads(n: int) -> threadpool_limits:
    """Limit numpy's BLAS (threadpoolctl) and torch to n threads; returns the BLAS limiter."""
    torch.set_num_threads(n)
    return threadpool_limits(limits=n, user_api="blas")


def blas_threads() -> int:
    return max((p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1)


def header(repeats: int, rounds: int) -> None:
    blas = [p for p in threadpool_info() if p["user_api"] == "blas"]
    described = ", ".join(f"{p['internal_api']} {p['version']} kernel {p.get('architecture', '?')}" for p in blas)
    env = ", ".join(f"{k}={os.environ.get(k, '(unset)')}" for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"))
    print(f"numpy {np.__version__} ({described}), torch {torch.__version__}, {platform.machine()}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print(f"{env}")
    if os.getloadavg()[0] > (os.cpu_count() or 1) / 2:
        print(f"warning: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: other processes compete "
              "for the cores, and a pool whose threads wait for each other (OpenBLAS, OpenMP) suffers most, so "
              "the multi-threaded rows are unreliable")
    print(f"float32, forward + backward, each side in its own blocks ({rounds} rounds of warm-up + {repeats} "
          f"calls), best call kept; target rows (*) within {TARGET:g}x\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10, help="timed calls per block (the best is kept)")
    parser.add_argument("--rounds", type=int, default=3, help="blocks per side and row, alternating")
    parser.add_argument("--threads", type=int, nargs="+", default=None,
                        help="thread counts to run every row at (default: 1 and the machine's count)")
    parser.add_argument("--only-targets", action="store_true", help="run only the target rows")
    args = parser.parse_args()
    machine = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    thread_counts = args.threads or sorted({1, machine})

    settle_allocator()
    header(args.repeats, args.rounds)
    print(f"{'':2}{'op and shape':<56}{'threads':>12}{'ours ms':>9}{'torch ms':>10}{'ratio':>7}"
          f"{'noise':>7}  within {TARGET:g}x")
    met, settle = True, 0.0
    for case in cases():
        if args.only_targets and not case.target:
            continue
        for n in thread_counts:
            with set_threads(n):
                used = f"np {blas_threads()} t {torch.get_num_threads()}"
                wait_until_idle()
                ours, theirs = [], []
                for _ in range(args.rounds):
                    for times, step in ((ours, case.ours), (theirs, case.theirs)):
                        block, idle = time_block(step, args.repeats)
                        times += block
                        settle = max(settle, idle)
            ratio = min(ours) / min(theirs)
            noise = max(np.median(ours) / min(ours), np.median(theirs) / min(theirs)) - 1
            verdict = ("yes" if ratio <= TARGET else "NO") if case.target else ""
            met &= ratio <= TARGET or not case.target
            print(f"{'* ' if case.target else '  '}{case.label:<56}{used:>12}{1e3 * min(ours):9.2f}"
                  f"{1e3 * min(theirs):10.2f}{ratio:7.2f}{100 * noise:6.0f}%  {verdict}")
    print(f"\nthreads went idle at most {1e3 * settle:.0f} ms after a block (measured; each block waited for it)")
    print(f"target rows within {TARGET:g}x at every thread count: {'yes' if met else 'NO'}")


if __name__ == "__main__":
    main()
