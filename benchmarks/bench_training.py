"""Training benchmarks on the offline digits data (CPU is enough).

    python benchmarks/bench_training.py            # all three
    python benchmarks/bench_training.py lenet      # one of: lenet, resnet, vgg
    python benchmarks/bench_training.py --threads 2 lenet

``--threads N`` sets torch's intra-op threads (default 1). Models this small gain little from a
second thread, and on a busy machine OpenMP threads that wait for each other spin: measured here
under load, LeNet-5 took 6 s with one thread and 200 s (72 s of CPU) with two.

1. LeNet-5 on digits upsampled to 32 x 32: test accuracy and wall time (target >= 97% in <= 60 s on
   2 CPU cores).
2. Small ResNet-18 against its plain twin (same layers, no skip connections), same data, optimiser,
   seed and number of epochs: final training loss (target: the residual one is lower).
3. A small VGG with batch normalisation: the loss falls; test accuracy printed.
"""

from __future__ import annotations

import argparse
import time

import torch

from cnnlab.data import load_digits
from cnnlab.models import lenet5, small_plain18, small_resnet18, small_vgg
from cnnlab.train import evaluate, fit, make_optimizer, make_scheduler, seed_everything


def train(model, split, *, epochs, optimizer="adam", lr=None, batch_size=32, scheduler="none", seed=0):
    """Fit ``model`` on ``split`` and return (history, test metrics, (wall seconds, CPU seconds))."""
    seed_everything(seed)
    train_loader, test_loader = split.loaders(batch_size, seed=seed)
    opt = make_optimizer(optimizer, model.parameters(), lr=lr)
    sched = make_scheduler(scheduler, opt, epochs=epochs)
    t0, c0 = time.perf_counter(), time.process_time()
    history = fit(model, train_loader, epochs=epochs, optimizer=opt, scheduler=sched, device="cpu",
                  progress=False, seed=seed)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    return history, evaluate(model, test_loader, device="cpu"), (seconds, cpu)


def bench_lenet() -> None:
    split = load_digits(size=32)
    seed_everything(0)
    model = lenet5(variant="modern")
    history, test, (seconds, cpu) = train(model, split, epochs=12, lr=3e-3, batch_size=32, scheduler="cosine")
    ok = test["accuracy"] >= 0.97 and seconds <= 60
    print(f"LeNet-5 (modern) on digits 32x32, 12 epochs, Adam lr 3e-3 cosine, batch 32: "
          f"test accuracy {test['accuracy']:.4f}, wall time {seconds:.1f} s (CPU time {cpu:.1f} s) "
          f"[target >= 0.97 in <= 60 s: {'met' if ok else 'MISSED'}]", flush=True)


def bench_resnet(epochs: int = 4, size: int = 16) -> None:
    split = load_digits(size=size)
    losses = {}
    for name, factory in (("small_resnet18", small_resnet18), ("small_plain18", small_plain18)):
        seed_everything(0)
        model = factory(num_classes=10, in_channels=1)
        history, test, (seconds, _) = train(model, split, epochs=epochs, optimizer="adam", lr=1e-3, batch_size=64)
        losses[name] = history.train_loss[-1]
        print(f"{name} on digits {size}x{size}, {epochs} epochs, Adam lr 1e-3, batch 64: "
              f"training loss per epoch {[round(v, 4) for v in history.train_loss]}, "
              f"test accuracy {test['accuracy']:.4f}, {seconds:.1f} s wall", flush=True)
    better = losses["small_resnet18"] < losses["small_plain18"]
    print(f"residual final training loss {losses['small_resnet18']:.4f} vs plain {losses['small_plain18']:.4f} "
          f"[target residual lower: {'met' if better else 'MISSED'}]", flush=True)


def bench_vgg(epochs: int = 4, size: int = 32) -> None:
    split = load_digits(size=size)
    seed_everything(0)
    model = small_vgg(num_classes=10, in_channels=1, input_size=size, batch_norm=True)
    history, test, (seconds, _) = train(model, split, epochs=epochs, lr=1e-3, batch_size=64)
    falls = history.train_loss[-1] < history.train_loss[0]
    print(f"small_vgg (batch norm) on digits {size}x{size}, {epochs} epochs, Adam lr 1e-3: training loss "
          f"{[round(v, 4) for v in history.train_loss]}, test accuracy {test['accuracy']:.4f}, "
          f"{seconds:.1f} s wall [loss falls: {'yes' if falls else 'NO'}]", flush=True)


BENCHES = {"lenet": bench_lenet, "resnet": bench_resnet, "vgg": bench_vgg}

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="cnnlab training benchmarks on digits")
    parser.add_argument("benches", nargs="*", metavar="BENCH", help="lenet, resnet, vgg (default: all)")
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default: 1)")
    args = parser.parse_args()
    unknown = set(args.benches) - set(BENCHES)
    if unknown:
        parser.error(f"unknown benchmark(s) {sorted(unknown)}; choose from {', '.join(BENCHES)}")
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads", flush=True)
    for name in args.benches or BENCHES:
        BENCHES[name]()
