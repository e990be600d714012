"""Catching graded code that uses the reference instead of its own work.

While a student's function runs under :func:`forbid_reference`, three traps are set:

1. the code object of every function of the target modules, their submodules (private helpers
   such as ``conv._im2col`` included) and their classes is swapped for one that raises
   :class:`ReferenceCalled`, however the student reached the function (an alias, an import inside
   their function);
2. a profile hook watches every Python call: a frame whose code comes from a target module's
   file (a second copy loaded with importlib, a closure) or whose bytecode equals a target
   function's (source copied with ``inspect.getsource`` and exec'd, or pasted with renamed
   variables: cnnlab's numpy code, 40 instructions or more) raises too;
3. in a numpy-only assignment (:func:`numpy_only`), any call into torch raises.

A trap that was caught and swallowed by the student's code still fails the check, and so does
turning the profile hook off. ``uses_module`` reads a function's bytecode for imports.
"""

from __future__ import annotations

import contextlib
import dis
import importlib.abc
import importlib.util
import inspect
import os
import sys
import types
from typing import Any, Iterator, Sequence

#: functions with fewer instructions are too short to tell a copy from an honest answer
MIN_COPY_INSTRUCTIONS = 40

_STATE = {"numpy_only": False}


class ReferenceCalled(RuntimeError):
    """Raised when graded code calls one of cnnlab's reference functions (or a copy of one)."""


def _trap_message(qualname: str) -> str:
    return (f"your code called the reference implementation {qualname}. Write this part "
            "yourself: these points are for your own code, not cnnlab's.")


def _tripped(message: str) -> ReferenceCalled:
    """Remember that a trap fired (the student's code may swallow the exception)."""
    _STATE["tripped"] = _STATE.get("tripped") or message
    return ReferenceCalled(message)


def _trap_code(qualname: str) -> types.CodeType:
    def trap(*args, **kwargs):
        import cnnlab.grading.traps as _t  # runs with the trapped function's globals
        raise _t._tripped(_t._trap_message(__import__("sys")._getframe().f_code.co_name))
    return trap.__code__.replace(co_name=qualname)


def _modules(obj: types.ModuleType) -> list[types.ModuleType]:
    """``obj`` and its already imported submodules."""
    prefix = obj.__name__ + "."
    subs = [m for name, m in list(sys.modules.items())
            if name.startswith(prefix) and isinstance(m, types.ModuleType)]
    return [obj] + subs


def _ours(fn: Any) -> bool:
    module = str(getattr(fn, "__module__", "") or "")
    return module.startswith("cnnlab") and not module.startswith("cnnlab.grading")


def _functions(objs: Sequence[Any]) -> Iterator[types.FunctionType]:
    """Every cnnlab function reachable from the targets: module members, class methods."""
    seen: set[int] = set()
    members: list[Any] = []
    for obj in objs:
        if isinstance(obj, types.ModuleType):
            for module in _modules(obj):
                members += [v for v in vars(module).values() if _ours(v)]
        else:
            members.append(obj)
    for member in members:
        if isinstance(member, type):
            funcs = [getattr(v, "__func__", v) for v in vars(member).values()]
            funcs += [v.fget for v in vars(member).values() if isinstance(v, property)]
        else:
            funcs = [getattr(member, "__func__", member)]
        for fn in funcs:
            try:
                fn = inspect.unwrap(fn) if fn is not None else None
            except ValueError:
                continue
            if isinstance(fn, types.FunctionType) and id(fn) not in seen:
                seen.add(id(fn))
                yield fn


def _code_objects(code: types.CodeType) -> Iterator[types.CodeType]:
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


def fingerprint(code: types.CodeType) -> tuple | None:
    """What stays the same when source is copied, reformatted or its local variables renamed:
    the bytecode, the global and attribute names, the constants (docstrings aside). None for
    functions too short to tell a copy from an honest answer."""
    if sum(1 for ins in dis.get_instructions(code) if ins.opname != "CACHE") < MIN_COPY_INSTRUCTIONS:
        return None
    consts = tuple(c if not isinstance(c, types.CodeType) else fingerprint(c)
                   for c in code.co_consts[1:] if not isinstance(c, str) or len(c) < 40)
    return (code.co_code, code.co_names, repr(consts))


def _files(objs: Sequence[Any]) -> set[str]:
    files = set()
    for obj in objs:
        modules = _modules(obj) if isinstance(obj, types.ModuleType) else \
            [sys.modules.get(getattr(obj, "__module__", ""), None)]
        for m in modules:
            path = getattr(m, "__file__", None)
            if path:
                files.add(os.path.realpath(path))
    return files


_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def _copyable(filename: str) -> bool:
    """Is a copy of code from this file a copy of cnnlab's numpy reference? Not for generated code
    (a namedtuple's ``_replace`` is the same for everyone) nor for the torch models: torch modules
    are written in the same idioms by everyone (torchvision's BasicBlock, written from memory,
    would match), so the labs rely on the call traps."""
    path = os.path.realpath(filename)
    if not path.startswith(_PACKAGE + os.sep):
        return False
    return path[len(_PACKAGE) + 1:].split(os.sep)[0] not in ("models", "train", "data")


class _Watch:
    """The profile hook: raises on calls into copies of the targets or into torch."""

    def __init__(self, targets: Sequence[Any], numpy_only: bool) -> None:
        self.prints: dict[tuple, str] = {}
        for fn in _functions(targets):
            if not _copyable(fn.__code__.co_filename):
                continue
            for code in _code_objects(fn.__code__):
                fp = fingerprint(code)
                if fp is not None:
                    self.prints.setdefault(fp, f"{fn.__module__}.{fn.__qualname__}")
        self.files = {f for f in _files(targets)}
        self.numpy_only = numpy_only
        self.torch_dir = _STATE.get("torch_dir") or _torch_dir()
        self.seen: dict[int, tuple[types.CodeType, str | None]] = {}

    def _verdict(self, code: types.CodeType) -> str | None:
        hit = self.seen.get(id(code))
        if hit is not None and hit[0] is code:
            return hit[1]
        verdict = None
        path = os.path.realpath(code.co_filename) if not code.co_filename.startswith("<") else ""
        if path in self.files:
            verdict = _trap_message(f"{code.co_name} (from {os.path.basename(path)})")
        elif self.numpy_only and self.torch_dir and path.startswith(self.torch_dir):
            verdict = _torch_message(code.co_name)
        else:
            fp = fingerprint(code)
            if fp is not None and fp in self.prints:
                verdict = (f"your {code.co_name} is a copy of the reference implementation "
                           f"{self.prints[fp]}. Write this part yourself: these points are for "
                           "your own code, not cnnlab's.")
        self.seen[id(code)] = (code, verdict)
        return verdict

    def __call__(self, frame, event, arg):
        if event == "call":
            verdict = self._verdict(frame.f_code)
        elif event == "c_call" and self.numpy_only:
            verdict = _torch_message(getattr(arg, "__name__", "?")) if _is_torch(arg) else None
        else:
            return
        if verdict is not None:
            raise _tripped(verdict)


def _is_torch(fn: Any) -> bool:
    module = str(getattr(fn, "__module__", "") or "")
    owner = getattr(fn, "__self__", None)
    owner_module = owner.__name__ if isinstance(owner, types.ModuleType) else type(owner).__module__
    return module.split(".")[0] == "torch" or str(owner_module).split(".")[0] == "torch"


def _torch_message(name: str) -> str:
    return (f"your code called torch ({name}); this assignment is numpy only: write it with "
            "numpy arrays and operations.")


@contextlib.contextmanager
def forbid_reference(*targets: Any) -> Iterator[None]:
    """Make the given cnnlab functions, classes or modules raise :class:`ReferenceCalled`.

    See the module docstring for the three traps. Everything is restored on exit.
    """
    numpy_only = _STATE["numpy_only"]
    if not targets and not numpy_only:
        yield
        return
    swapped: list[tuple[types.FunctionType, types.CodeType]] = []
    watch = _Watch(targets, numpy_only)
    previous = sys.getprofile()
    _STATE["tripped"] = None
    try:
        for fn in _functions(targets):
            if fn.__code__.co_freevars:  # closures keep their code; the profile hook sees them
                continue
            swapped.append((fn, fn.__code__))
            fn.__code__ = _trap_code(f"{fn.__module__}.{fn.__qualname__}")
        sys.setprofile(watch)
        yield
        if _STATE["tripped"]:  # a trap fired and the student's code swallowed it
            raise ReferenceCalled(_STATE["tripped"])
        if sys.getprofile() is not watch:
            raise ReferenceCalled("your code switched off the grader's checks (sys.setprofile); "
                                  "graded code must not change the interpreter's hooks.")
    finally:
        sys.setprofile(previous)
        _STATE["tripped"] = None
        for fn, code in reversed(swapped):
            fn.__code__ = code


class _NoTorch(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] == "torch":
            raise ImportError("this assignment is numpy only: torch cannot be imported here")
        return None


def _torch_dir() -> str | None:
    torch = sys.modules.get("torch")
    if torch is not None and getattr(torch, "__file__", None):
        return os.path.dirname(os.path.realpath(torch.__file__))
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    return os.path.dirname(os.path.realpath(spec.origin)) if spec and spec.origin else None


def numpy_only() -> None:
    """From now on in this process: ``import torch`` fails and checks trap calls into torch
    (also through a torch module the student imported before)."""
    if not _STATE["numpy_only"]:
        _STATE["torch_dir"] = _torch_dir()
    _STATE["numpy_only"] = True
    if not any(isinstance(f, _NoTorch) for f in sys.meta_path):
        sys.meta_path.insert(0, _NoTorch())
    for name in [n for n in sys.modules if n.split(".")[0] == "torch"]:
        del sys.modules[name]


def uses_module(obj: Any, module: str = "cnnlab") -> bool:
    """True when the code of ``obj`` (a function, or every method of a class) imports ``module``.

    Looks for ``import module...`` / ``from module... import`` statements in the bytecode,
    including nested functions and lambdas.
    """
    if isinstance(obj, type):
        funcs = [v for v in vars(obj).values() if isinstance(v, types.FunctionType)]
    else:
        funcs = [inspect.unwrap(obj)] if isinstance(obj, types.FunctionType) else []
    for fn in funcs:
        for code in _code_objects(fn.__code__):
            for ins in dis.get_instructions(code):
                if ins.opname == "IMPORT_NAME" and str(ins.argval).split(".")[0] == module:
                    return True
    return False


def check_not_using(obj: Any, module: str = "cnnlab") -> None:
    """Raise :class:`GradingError` when ``obj`` imports ``module`` inside its own code."""
    from cnnlab.grading import evidence
    from cnnlab.grading.compare import GradingError

    name = getattr(obj, "__name__", repr(obj))
    used = uses_module(obj, module)
    evidence.record("not_using", name=name, module=module, used=used)
    if used:
        raise GradingError(f"{name} imports {module} inside its code. Write this part yourself: "
                           f"these points are for your own code, not {module}'s.")
