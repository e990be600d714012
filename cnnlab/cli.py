"""The ``cnnlab`` command line (``python -m cnnlab`` is the same).

    cnnlab train --model lenet5 --data digits --epochs 10     train, print progress and test accuracy
    cnnlab train --model lenet5 --model-arg variant=modern --lr 0.003 --scheduler cosine   (98% on digits)
    torchrun --nproc_per_node 2 -m cnnlab train ...           the same with DistributedDataParallel
    cnnlab summary vgg16                                      print the layer table of a model

torch is imported only inside the commands, so ``cnnlab --help`` answers at once. Every bad input
ends in one line on stderr naming the option, and a non-zero exit status, before any data is loaded
where the input alone shows the problem.
"""

from __future__ import annotations

import argparse
import inspect
import math
import os
import sys
from typing import Any, NoReturn, Sequence

TORCH_EXTRA = ("torch", "tqdm", "matplotlib", "sklearn")   # what `pip install cnnlab[torch]` brings
DIGIT_SIDE = 32          # --data digits is upsampled to 32 x 32 by default: LeNet-5's input


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="cnnlab", description="cnnlab: train and inspect the course's CNNs.")
    sub = p.add_subparsers(dest="command", required=True, metavar="{train,summary}")

    t = sub.add_parser("train", help="train a model from cnnlab.models on a dataset from cnnlab.data",
                       description="Train a model and print the final test accuracy. Runs under "
                                   "`torchrun --nproc_per_node P -m cnnlab train ...` with DDP.")
    t.add_argument("--model", default="lenet5", help="factory in cnnlab.models (default: lenet5)")
    t.add_argument("--model-arg", action="append", default=[], metavar="KEY=VALUE",
                   help="extra keyword for the model factory, repeatable: --model-arg variant=modern")
    t.add_argument("--data", default="digits",
                   help="a dataset of cnnlab.data.LOADERS: digits (offline, the default), mnist, "
                        "fashion_mnist, cifar10 (these three need torchvision and a network)")
    t.add_argument("--size", type=int, default=None,
                   help=f"--data digits only: image side, 8 or more (default: {DIGIT_SIDE}). lenet5 takes 32, "
                        "or 28 with --model-arg padding=2; the small_* models take 8 and up")
    t.add_argument("--epochs", type=int, default=10, help="number of epochs, 1 or more (default: 10)")
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--optimizer", default="adam", choices=("sgd", "adam", "adamw"))
    t.add_argument("--lr", type=float, default=None, help="default: 0.01 for sgd, 0.001 for adam")
    t.add_argument("--momentum", type=float, default=0.9, help="sgd momentum in [0, 1) (default: 0.9)")
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


def _fail(command: str, message: str) -> NoReturn:
    raise SystemExit(f"cnnlab {command}: {message}")


# --- models ------------------------------------------------------------------------------------

def model_factories() -> list[str]:
    """The names in cnnlab.models that build a model: public functions returning an nn.Module."""
    import torch.nn as nn

    import cnnlab.models as models

    names = []
    for name in getattr(models, "__all__", dir(models)):
        fn = getattr(models, name, None)
        if name[:1].islower() and inspect.isfunction(fn):
            returns = inspect.signature(fn, eval_str=True).return_annotation
            if isinstance(returns, type) and issubclass(returns, nn.Module):
                names.append(name)
    return sorted(names)


def _factory(command: str, name: str):
    import cnnlab.models as models

    factories = model_factories()
    if name not in factories:
        _fail(command, f"--model {name!r} is not a model of cnnlab.models (choose from: {', '.join(factories)})")
    return getattr(models, name)


def parse_model_args(pairs: Sequence[str], command: str = "train") -> dict[str, Any]:
    """``["variant=modern", "width=8"]`` -> {"variant": "modern", "width": 8} (Python literals or strings)."""
    import ast

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.isidentifier():
            _fail(command, f"--model-arg {pair!r} must look like KEY=VALUE, e.g. variant=modern")
        try:
            out[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key] = {"true": True, "false": False}.get(value.lower(), value)
    return out


def model_kwargs(command: str, name: str, extra: dict[str, Any], **given: Any) -> dict[str, Any]:
    """The factory's keywords: ``given`` (num_classes, in_channels, input_size) where it takes them,
    plus ``extra``; every required parameter must be among them."""
    factory = _factory(command, name)
    accepted = inspect.signature(factory).parameters
    for key in extra:
        if key not in accepted:
            _fail(command, f"--model-arg {key}=... is not a parameter of cnnlab.models.{name} "
                           f"(it takes: {', '.join(accepted)})")
    kwargs = {k: v for k, v in given.items() if v is not None and k in accepted}
    kwargs.update(extra)
    for key, param in accepted.items():
        if param.default is inspect.Parameter.empty and key not in kwargs:
            doc = (inspect.getdoc(factory) or "").split("\n")[0].rstrip(".").replace("``", "")
            example = next((w.strip(",") for w in doc.split() if w.strip(",").isdigit()), "VALUE")
            _fail(command, f"--model {name} needs --model-arg {key}=..., e.g. --model-arg {key}={example}"
                           + (f" ({doc})" if doc else ""))
    return kwargs


def build_model(command: str, name: str, kwargs: dict[str, Any]) -> Any:
    """``cnnlab.models.<name>(**kwargs)``; a value the factory rejects ends the command."""
    factory = _factory(command, name)
    try:
        return factory(**kwargs)
    except (TypeError, ValueError) as err:
        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        _fail(command, f"cannot build cnnlab.models.{name}({shown}): {err}")


def _takes(name: str, kwargs: dict[str, Any], shape: tuple[int, ...]) -> bool:
    """Whether cnnlab.models.<name>(**kwargs) runs on inputs of ``shape`` (checked on the meta device)."""
    import torch

    import cnnlab.models as models

    try:
        with torch.device("meta"):
            model = getattr(models, name)(**kwargs).eval()
            model(torch.zeros(2, *shape))
    except (RuntimeError, ValueError, TypeError):
        return False
    return True


def check_input_shape(command: str, name: str, kwargs: dict[str, Any], shape: tuple[int, ...], what: str,
                      data_kwargs: dict[str, Any]) -> None:
    """End the command, saying which models and options work, if the model cannot take ``shape``
    (``data_kwargs``: num_classes, in_channels and input_size of the data, for the other models)."""
    if _takes(name, kwargs, shape):
        return
    import cnnlab.models as models

    hint = ""
    if "padding" in inspect.signature(getattr(models, name)).parameters and "padding" not in kwargs:
        pad = next((p for p in (1, 2, 3) if _takes(name, {**kwargs, "padding": p}, shape)), None)
        hint = f"; add --model-arg padding={pad}" if pad else ""
    works = []          # among the models made for small images (10 classes by default), not ImageNet's
    for other in model_factories():
        params = inspect.signature(getattr(models, other)).parameters
        if "num_classes" in params and params["num_classes"].default == 10 and \
                all(p.default is not inspect.Parameter.empty for p in params.values()):
            other_kwargs = {k: v for k, v in data_kwargs.items() if k in params}
            if _takes(other, other_kwargs, shape):
                works.append(other)
    _fail(command, f"--model {name} cannot take {what} of shape {shape}{hint} "
                   f"(small-image models that do: {', '.join(works) or 'none'})")


def cmd_summary(args: argparse.Namespace) -> int:
    import torch

    from cnnlab.models import summary

    extra = parse_model_args(args.model_arg, "summary")
    accepted = inspect.signature(_factory("summary", args.model)).parameters
    if args.input_size is not None:
        if len(args.input_size) not in (1, 3) or min(args.input_size) < 1:
            _fail("summary", f"--input-size takes C H W (or D for a flat input), all positive, got {args.input_size}")
        in_channels = args.input_size[0]
    else:
        default = accepted["in_channels"].default if "in_channels" in accepted else 3
        in_channels = args.in_channels or (default if isinstance(default, int) else 3)
    for flag in ("num_classes", "in_channels"):
        if getattr(args, flag) is not None and getattr(args, flag) < 1:
            _fail("summary", f"--{flag.replace('_', '-')} must be positive, got {getattr(args, flag)}")
    side = args.input_size[-1] if args.input_size and len(args.input_size) == 3 else None
    kwargs = model_kwargs("summary", args.model, extra, num_classes=args.num_classes,
                          in_channels=in_channels, input_size=side)
    with torch.device("meta"):      # shapes only: no memory for VGG's 138 M weights, no arithmetic
        model = build_model("summary", args.model, kwargs)
    if args.input_size:
        input_size = tuple(args.input_size)
    elif isinstance(getattr(model, "input_size", None), int):   # models that fix their input (AlexNet: 227)
        input_size = (in_channels, model.input_size, model.input_size)
    else:
        side = 32 if args.model.startswith(("small_", "lenet")) else 224
        input_size = (in_channels, side, side)
    print(f"{args.model}  input {tuple(input_size)}")
    try:
        table = summary(model, input_size)
    except (ValueError, RuntimeError) as err:
        _fail("summary", f"{args.model} cannot take --input-size {' '.join(map(str, input_size))}: "
                         f"{str(err).splitlines()[0]}")
    print(table)
    return 0


# --- training ----------------------------------------------------------------------------------

def check_train_args(args: argparse.Namespace) -> None:
    """Everything about ``cnnlab train``'s options that can be checked before loading any data."""
    import cnnlab.data as data

    if args.data not in data.LOADERS:
        _fail("train", f"--data {args.data!r} is not a dataset of cnnlab.data (choose from: {', '.join(data.LOADERS)})")
    for flag in ("epochs", "batch_size", "threads"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            _fail("train", f"--{flag.replace('_', '-')} must be positive (1 or more), got {value}")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        _fail("train", f"--lr must be a positive number, got {args.lr}")
    if not (math.isfinite(args.momentum) and 0 <= args.momentum < 1):
        _fail("train", f"--momentum must be in [0, 1), got {args.momentum}")
    if args.weight_decay is not None and not (math.isfinite(args.weight_decay) and args.weight_decay >= 0):
        _fail("train", f"--weight-decay must be 0 or more, got {args.weight_decay}")
    if not 0 <= args.seed < 2**32:
        _fail("train", f"--seed must be in [0, 2**32), got {args.seed}")
    if args.size is not None and args.data != "digits":
        _fail("train", f"--size applies to --data digits only (--data {args.data} has its own image size)")
    if args.size is not None and args.size < 8:
        _fail("train", f"--size must be 8 or more (the digits are 8 x 8 images, upsampled), got {args.size}")
    if args.resume is not None and not os.path.isfile(args.resume):
        _fail("train", f"--resume {args.resume}: no such checkpoint file")
    if args.checkpoint is not None:
        folder = os.path.dirname(os.path.abspath(args.checkpoint))
        if os.path.isdir(args.checkpoint) or not os.path.isdir(folder):
            _fail("train", f"--checkpoint {args.checkpoint}: must be a file in an existing folder")


def _load_data(args: argparse.Namespace):
    import cnnlab.data as data

    try:
        if args.data == "digits":
            split = data.load_digits(size=args.size or DIGIT_SIDE, seed=args.seed)
        else:
            split = data.LOADERS[args.data]()
    except data.DatasetUnavailable as err:
        _fail("train", str(err))
    if split.x_train.ndim != 4:
        _fail("train", f"--data {args.data} holds vectors {tuple(split.x_train.shape[1:])}, not images: "
                       "the models take (C, H, W) images")
    return split


def cmd_train(args: argparse.Namespace) -> int:
    import torch

    from cnnlab.models.summary import count_parameters
    from cnnlab.train import distributed, evaluate, fit, get_device, make_optimizer, make_scheduler, seed_everything

    check_train_args(args)
    extra = parse_model_args(args.model_arg, "train")
    model_kwargs("train", args.model, extra)      # a wrong --model or --model-arg fails before any data
    try:
        device = get_device(args.device)
    except ValueError as err:
        _fail("train", f"--device: {err}")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    split = _load_data(args)
    shape = tuple(split.x_train.shape[1:])
    given = {"num_classes": split.num_classes, "in_channels": shape[0], "input_size": shape[-1]}
    kwargs = model_kwargs("train", args.model, extra, **given)
    with torch.device("meta"):                             # checks only: no memory, no arithmetic
        build_model("train", args.model, kwargs)           # a value the factory rejects, e.g. variant=weird
    check_input_shape("train", args.model, kwargs, shape, f"--data {args.data} images", given)
    model = build_model("train", args.model, kwargs)
    optimizer = make_optimizer(args.optimizer, model.parameters(), lr=args.lr, momentum=args.momentum,
                               weight_decay=args.weight_decay)
    scheduler = make_scheduler(args.scheduler, optimizer, step_size=max(1, args.epochs // 3), epochs=args.epochs)
    joined = distributed.setup(distributed.local_device(device))   # under torchrun: rank 0 does the printing
    try:
        main = distributed.is_main_process()
        if main:
            print(f"cnnlab train: {args.model} ({count_parameters(model):,} parameters) on {args.data} "
                  f"{tuple(split.x_train.shape)} train / {tuple(split.x_test.shape)} test, device {device}, "
                  f"{args.optimizer} lr {optimizer.param_groups[0]['lr']}", flush=True)
        train_loader, test_loader = split.loaders(args.batch_size, seed=args.seed)
        try:
            history = fit(model, train_loader, epochs=args.epochs, optimizer=optimizer, scheduler=scheduler,
                          val_loader=test_loader, device=device, amp=args.amp, checkpoint=args.checkpoint,
                          resume=args.resume, progress=not args.no_progress, seed=args.seed)
        except (ValueError, KeyError, RuntimeError) as err:
            if args.resume is None:
                raise
            _fail("train", f"--resume {args.resume}: cannot continue from it: {str(err).splitlines()[0]}")
        result = evaluate(model, test_loader, device=device)
    finally:
        if joined:
            distributed.teardown()
    if main:
        for e, loss, acc, val in zip(history.epoch, history.train_loss, history.train_accuracy,
                                     history.val_accuracy):
            print(f"epoch {e}: train loss {loss:.4f}, train accuracy {acc:.4f}, test accuracy {val:.4f}")
        print(f"test accuracy: {result['accuracy']:.4f} (top-1 error {100 * result['top1_error']:.2f}%, "
              f"test loss {result['loss']:.4f})")
    return 0


def _install_hint() -> str:
    """How to install the torch extra, from this installation's own metadata when it has some."""
    try:
        from importlib.metadata import PackageNotFoundError, metadata
        meta = metadata("cnnlab")
        urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL") or [])
        return f'pip install "cnnlab[torch] @ git+{urls["Source"]}@v{meta["Version"]}"'
    except (ImportError, PackageNotFoundError, KeyError, ValueError):
        return 'pip install "cnnlab[torch] @ git+<the cnnlab repository>"'


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cnnlab`` script and of ``python -m cnnlab``."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "summary":
            return cmd_summary(args)
        return cmd_train(args)
    except ModuleNotFoundError as err:
        if (err.name or "").split(".")[0] not in TORCH_EXTRA:
            raise
        raise SystemExit(f"cnnlab {args.command}: needs {err.name}, which is not installed; install "
                         f"cnnlab's torch extra: {_install_hint()}") from None


if __name__ == "__main__":
    sys.exit(main())
