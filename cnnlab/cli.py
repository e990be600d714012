"""The ``cnnlab`` command line.

    cnnlab train --model lenet5 --data digits --epochs 10     train, print progress and test accuracy
    cnnlab train --model lenet5 --model-arg variant=modern --lr 0.003 --scheduler cosine   (98% on digits)
    torchrun --nproc_per_node 2 -m cnnlab.cli train ...       the same with DistributedDataParallel
    cnnlab summary vgg16                                      print the layer table of a model

torch is imported only inside the commands, so ``cnnlab --help`` answers at once.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from typing import Any, Sequence

DATASETS = ("digits", "mnist", "fashion_mnist", "cifar10")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnnlab", description="cnnlab: train and inspect the course's CNNs.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{train,summary}")

    t = sub.add_parser("train", help="train a model from cnnlab.models on a dataset from cnnlab.data",
                       description="Train a model and print the final test accuracy. Runs under "
                                   "`torchrun --nproc_per_node P -m cnnlab.cli train ...` with DDP.")
    t.add_argument("--model", default="lenet5", help="factory in cnnlab.models (default: lenet5)")
    t.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="extra keyword for the model factory, repeatable: --model-arg variant=modern")
    t.add_argument("--data", default="digits", choices=DATASETS, help="dataset (default: digits, offline)")
    t.add_argument("--size", type=int, default=32, help="digits image size: 8, 28 or 32 (default: 32)")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--optimizer", default="adam", choices=("sgd", "adam", "adamw"))
    t.add_argument("--lr", type=float, default=None, help="default: 0.01 for sgd, 0.001 for adam")
    t.add_argument("--momentum", type=float, default=0.9)
    t.add_argument("--weight-decay", type=float, default=None, help="default: 5e-4 for sgd, 0 for adam")
    t.add_argument("--scheduler", default="none", choices=("none", "step", "plateau", "cosine"))
    t.add_argument("--device", default=None, help="cuda, mps or cpu (default: $CNNLAB_DEVICE or the best found)")
    t.add_argument("--amp", action="store_true", help="mixed precision (CUDA only; ignored elsewhere)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (1 is fastest for small models on a busy machine)")
    t.add_argument("--checkpoint", default=None, help="write a checkpoint here after every epoch")
    t.add_argument("--resume", default=None, help="continue from this checkpoint")
    t.add_argument("--no-progress", action="store_true", help="no progress bars")

    s = sub.add_parser("summary", help="print a model's layer table (shapes, parameters, memory, MACs)")
    s.add_argument("model", help="factory in cnnlab.models, e.g. vgg16, resnet18, lenet5")
    s.add_argument("--input-size", type=int, nargs="+", default=None, metavar="N",
                   help="input without the batch dimension, e.g. 3 224 224 (default: the model's own)")
    s.add_argument("--num-classes", type=int, default=None)
    s.add_argument("--in-channels", type=int, default=None)
    s.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="extra keyword for the model factory, repeatable: --model-arg padding=2")
    return p


def _factory(name: str):
    import cnnlab.models as models

    factory = getattr(models, name, None)
    if name.startswith("_") or not callable(factory) or isinstance(factory, type):
        public = sorted(n for n in getattr(models, "__all__", dir(models))
                        if n[:1].islower() and callable(getattr(models, n, None)) and n not in ("summary", "layer_macs"))
        raise SystemExit(f"cnnlab: --model {name!r} is not a model factory in cnnlab.models "
                         f"(choose from: {', '.join(public)})")
    return factory


def parse_model_args(pairs: Sequence[str]) -> dict[str, Any]:
    """``["variant=modern", "width=8"]`` -> {"variant": "modern", "width": 8} (Python literals or strings)."""
    import ast

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            raise SystemExit(f"cnnlab: --model-arg {pair!r} must look like KEY=VALUE, e.g. variant=modern")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def build_model(name: str, *, num_classes: int | None, in_channels: int | None, input_size: int | None,
                extra: dict[str, Any] | None = None) -> Any:
    """Call ``cnnlab.models.<name>`` with the keyword arguments it accepts, plus ``extra``."""
    factory = _factory(name)
    accepted = inspect.signature(factory).parameters
    kwargs = {k: v for k, v in (("num_classes", num_classes), ("in_channels", in_channels),
                                ("input_size", input_size)) if v is not None and k in accepted}
    for key in extra or {}:
        if key not in accepted:
            raise SystemExit(f"cnnlab: --model-arg {key}=... is not a parameter of cnnlab.models.{name} "
                             f"(it takes: {', '.join(accepted)})")
    try:
        return factory(**{**kwargs, **(extra or {})})
    except TypeError as err:         # e.g. a factory with a required argument: resnet(depth, ...)
        raise SystemExit(f"cnnlab: cannot build cnnlab.models.{name}: {err}") from None


def default_input_size(name: str, in_channels: int) -> tuple[int, int, int]:
    """What ``cnnlab summary`` feeds a model by default: 32 x 32 for LeNet and the small_* variants."""
    side = 32 if name.startswith(("small_", "lenet")) else 224
    return (in_channels, side, side)


def cmd_summary(args: argparse.Namespace) -> int:
    import torch

    from cnnlab.models import summary

    accepted = inspect.signature(_factory(args.model)).parameters
    if args.input_size is not None:
        in_channels = args.input_size[0]
    else:
        default = accepted["in_channels"].default if "in_channels" in accepted else 3
        in_channels = args.in_channels or (default if isinstance(default, int) else 3)
    side = args.input_size[-1] if args.input_size and len(args.input_size) == 3 else None
    with torch.device("meta"):      # shapes only: no memory for VGG's 138 M weights, no arithmetic
        model = build_model(args.model, num_classes=args.num_classes,
                            in_channels=in_channels if "in_channels" in accepted else None, input_size=side,
                            extra=parse_model_args(args.model_arg))
    if args.input_size:
        input_size = tuple(args.input_size)
    elif isinstance(getattr(model, "input_size", None), int):   # models that fix their input (AlexNet: 227)
        input_size = (in_channels, model.input_size, model.input_size)
    else:
        input_size = default_input_size(args.model, in_channels)
    print(f"{args.model}  input {tuple(input_size)}")
    try:
        table = summary(model, input_size)
    except (ValueError, RuntimeError) as err:
        raise SystemExit(f"cnnlab summary: {args.model} cannot take --input-size {input_size}: {err}") from None
    print(table)
    return 0


def _load_data(args: argparse.Namespace):
    import cnnlab.data as data

    if args.data == "digits":
        return data.load_digits(size=args.size, seed=args.seed)
    try:
        return data.LOADERS[args.data]()
    except data.DatasetUnavailable as err:
        raise SystemExit(f"cnnlab: {err}") from None


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from cnnlab.train import (evaluate, fit, get_device, is_main_process, make_optimizer, make_scheduler,
                              seed_everything)

    _factory(args.model)                     # a wrong --model fails before any data is loaded
    extra = parse_model_args(args.model_arg)
    for flag in ("epochs", "batch_size"):
        if getattr(args, flag) < (0 if flag == "epochs" else 1):
            raise SystemExit(f"cnnlab train: --{flag.replace('_', '-')} must be positive, got {getattr(args, flag)}")
    try:
        device = get_device(args.device)
    except ValueError as err:
        raise SystemExit(f"cnnlab train: --device: {err}") from None
    if args.threads is not None:
        if args.threads < 1:
            raise SystemExit(f"cnnlab train: --threads must be positive, got {args.threads}")
        torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    split = _load_data(args)
    train_loader, test_loader = split.loaders(args.batch_size, seed=args.seed)
    model = build_model(args.model, num_classes=split.num_classes, in_channels=split.x_train.shape[1],
                        input_size=split.x_train.shape[-1], extra=extra)
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr=args.lr, momentum=args.momentum,
                               weight_decay=args.weight_decay)
    scheduler = make_scheduler(args.scheduler, optimizer, step_size=max(1, args.epochs // 3),
                               epochs=max(1, args.epochs))
    main = is_main_process() if torch.distributed.is_initialized() else _env_rank() == 0
    if main:
        n_params = sum(p.numel() for p in model.parameters())
        print(f"cnnlab train: {args.model} ({n_params:,} parameters) on {args.data} "
              f"{tuple(split.x_train.shape)} train / {tuple(split.x_test.shape)} test, device {device}, "
              f"{args.optimizer} lr {optimizer.param_groups[0]['lr']}", flush=True)
    history = fit(model, train_loader, epochs=args.epochs, optimizer=optimizer, scheduler=scheduler,
                  val_loader=test_loader, device=device, amp=args.amp, checkpoint=args.checkpoint,
                  resume=args.resume, progress=not args.no_progress, seed=args.seed)
    result = evaluate(model, test_loader, device=device)
    if main:
        for e, loss, acc, val in zip(history.epoch, history.train_loss, history.train_accuracy,
                                     history.val_accuracy):
            print(f"epoch {e}: train loss {loss:.4f}, train accuracy {acc:.4f}, test accuracy {val:.4f}")
        print(f"test accuracy: {result['accuracy']:.4f} (top-1 error {100 * result['top1_error']:.2f}%, "
              f"test loss {result['loss']:.4f})")
    return 0


def _env_rank() -> int:
    import os

    return int(os.environ.get("RANK", "0"))


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cnnlab`` script (``python -m cnnlab.cli`` works too)."""
    args = _parser().parse_args(argv)
    if args.command == "summary":
        return cmd_summary(args)
    return cmd_train(args)


if __name__ == "__main__":
    sys.exit(main())
