"""What an instructor should look at in a submission: a static scan of the student's code.

    scan(nb, assignment) -> ["tamper-ipython", "file-access", ...]

Only the cells a student writes are read: answer cells and cells the student added (test cells
and the other locked cells are put back from the source by nbgrader before grading). Each cell is
parsed with :mod:`ast` (IPython magics and shell escapes are read as text); a cell that does not
parse is flagged ``syntax-error``. A flag is a reason to look, not a verdict: the grades come from
the tests and their evidence (grading/evidence.py). The flags, in the order they are reported:

    tamper-ipython        get_ipython, IPython or ipykernel imported, an IPython attribute assigned
    tamper-builtins       builtins / __builtins__ touched
    tamper-interpreter    sys.modules, sys.meta_path, sys.settrace/setprofile, sys._getframe, the sys
                          hooks, gc or ctypes used; any attribute of sys assigned (sys.stdout = ...)
    tamper-module         an attribute of an imported module assigned or deleted (monkey-patching
                          numpy, cnnlab, cnnlab.grading ...), setattr/delattr on one, a module's
                          __dict__ written, __code__/__globals__/__closure__/__defaults__/__class__/
                          __subclasses__/__dict__ touched
    tamper-test-names     a name the test cells read without binding it (check_function, Case, F, np,
                          an earlier test cell's reference, ...) rebound or deleted at the top level of
                          a student cell, or through globals()[...]; repeating the released imports is fine
    exec-source           exec, eval, compile, __import__, breakpoint, getattr with a computed name,
                          importlib, inspect, dis, marshal, pickle, types.FunctionType/CodeType
    private-helper        a private name of cnnlab (conv._im2col, cnnlab.functional._windows, getattr(cnnlab..., "_x"))
    cnnlab-source         a module's __file__ read (cnnlab.__file__, F.__file__ ...)
    file-access           open, os's file functions and os.environ, pathlib, shutil, glob, tempfile, io,
                          zipfile, sqlite3, np.load/save/loadtxt/fromfile, %%writefile, %load, %run
    process-access        subprocess, os.system/fork/kill/_exit/exec*, multiprocessing, signal,
                          threading, concurrent, ! shell escapes, %%bash/%%sh/%%script/%system
    network               socket, urllib, http, requests, ftplib, smtplib, asyncio
    torch-in-numpy-only   torch imported or used in a numpy-only assignment (a1-a4)
    library-in-numpy-only scipy, jax, tensorflow, numba, cupy, sklearn or keras in a1-a4
    loops-in-vectorised   a3's conv_forward_fast loops over images or output positions (names from
                          x.shape or an output-size formula), nests three loops, has a while loop,
                          or calls conv_forward_naive
    syntax-error          a student cell that does not parse (nothing in it could be scanned)
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from grading.cells import Release, student_cells  # noqa: E402

NUMPY_ONLY = {"a1", "a2", "a3", "a4"}
ORDER = ["tamper-ipython", "tamper-builtins", "tamper-interpreter", "tamper-module", "tamper-test-names",
         "exec-source", "private-helper", "cnnlab-source", "file-access", "process-access", "network",
         "torch-in-numpy-only", "library-in-numpy-only", "loops-in-vectorised", "syntax-error"]

_MODULE_FLAGS = {
    "builtins": "tamper-builtins", "IPython": "tamper-ipython", "ipykernel": "tamper-ipython",
    "gc": "tamper-interpreter", "ctypes": "tamper-interpreter", "importlib": "exec-source",
    "marshal": "exec-source", "pickle": "exec-source", "dill": "exec-source", "cloudpickle": "exec-source",
    "inspect": "exec-source", "dis": "exec-source",
    "pathlib": "file-access", "shutil": "file-access", "glob": "file-access", "tempfile": "file-access",
    "io": "file-access", "fileinput": "file-access", "sqlite3": "file-access", "zipfile": "file-access",
    "subprocess": "process-access", "multiprocessing": "process-access", "signal": "process-access",
    "threading": "process-access", "concurrent": "process-access", "pty": "process-access", "resource": "process-access",
    "socket": "network", "urllib": "network", "http": "network", "requests": "network", "ftplib": "network",
    "smtplib": "network", "asyncio": "network",
}
_OTHER_LIBS = {"scipy", "jax", "tensorflow", "numba", "cupy", "sklearn", "keras"}
_OS_FILES = {"listdir", "scandir", "walk", "remove", "unlink", "rename", "replace", "mkdir", "makedirs",
             "rmdir", "chdir", "open", "stat", "path", "chmod", "symlink", "link", "getcwd", "environ", "getenv",
             "putenv", "truncate", "utime", "access"}
_OS_PROCESS = {"system", "popen", "fork", "forkpty", "kill", "killpg", "_exit", "abort", "spawnl", "spawnv",
               "execv", "execve", "execl", "execvp", "setsid", "setpgrp", "posix_spawn", "startfile", "nice"}
_SYS_TAMPER = {"modules", "meta_path", "path_hooks", "path_importer_cache", "settrace", "setprofile",
               "displayhook", "excepthook", "stdout", "stderr", "setrecursionlimit", "_getframe",
               "addaudithook", "set_asyncgen_hooks", "path"}
_IPY_ATTRS = {"events", "set_custom_exc", "input_transformers_post", "input_transformers_cleanup",
              "ast_transformers", "run_cell", "run_code", "showtraceback", "register_magic_function",
              "displayhook", "display_pub", "user_ns", "user_global_ns", "ex", "run_line_magic",
              "run_cell_magic", "kernel", "payload_manager", "custom_exceptions", "InteractiveTB"}
_DUNDER_TAMPER = {"__code__", "__globals__", "__builtins__", "__dict__", "__closure__", "__defaults__",
                  "__kwdefaults__", "__class__", "__subclasses__", "__import__", "__loader__", "__spec__"}


def _python(source: str) -> tuple[str, bool]:
    """The cell as Python (magics and shell escapes blanked) and whether it had any of them."""
    lines, shell = [], False
    for line in source.split("\n"):
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            shell = True
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines), shell


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        return ".".join([inner + "()"] + list(reversed(parts))) if inner else ""
    return ""


class _Scanner(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], test_names: set[str], numpy_only: bool) -> None:
        self.aliases = aliases          # local name -> module it stands for ("np" -> "numpy")
        self.test_names = test_names
        self.numpy_only = numpy_only
        self.flags: set[str] = set()

    # names resolved through imports ("F._im2col" -> "cnnlab.functional._im2col")
    def resolve(self, dotted: str) -> str:
        head, _, rest = dotted.partition(".")
        if head in self.aliases:
            return self.aliases[head] + ("." + rest if rest else "")
        return dotted

    def _module_used(self, module: str) -> None:
        top = module.split(".")[0]
        if top in _MODULE_FLAGS:
            self.flags.add(_MODULE_FLAGS[top])
        if self.numpy_only and top == "torch":
            self.flags.add("torch-in-numpy-only")
        if self.numpy_only and top in _OTHER_LIBS:
            self.flags.add("library-in-numpy-only")
        if top == "cnnlab" and any(p.startswith("_") for p in module.split(".")[1:]):
            self.flags.add("cnnlab-source" if module.endswith("__file__") else "private-helper")
        rest = module.split(".")[1:]
        if top == "sys" and rest and rest[0] in _SYS_TAMPER - {"stdout", "stderr", "path"}:
            self.flags.add("tamper-interpreter")

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self._module_used(a.name)
            self.aliases[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        self._module_used(module)
        for a in node.names:
            self._module_used(f"{module}.{a.name}")
            self.aliases[a.asname or a.name] = f"{module}.{a.name}"
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        dotted = _dotted(node)
        full = self.resolve(dotted) if dotted else ""
        if full:
            self._module_used(full)
            parts = full.split(".")
            if parts[0] == "os" and len(parts) > 1:
                if parts[1] in _OS_PROCESS:
                    self.flags.add("process-access")
                elif parts[1] in _OS_FILES:
                    self.flags.add("file-access")
            if parts[0] == "numpy" and len(parts) > 1 and parts[-1] in {"load", "save", "savez", "loadtxt",
                                                                       "savetxt", "fromfile", "tofile", "genfromtxt", "memmap"}:
                self.flags.add("file-access")
            if parts[-1] == "getsource" or parts[-1] == "getsourcelines" or parts[-1] == "getfile":
                self.flags.add("exec-source")
                if any(self.resolve(_dotted(a)).startswith("cnnlab") for a in getattr(self, "_args", [])):
                    self.flags.add("cnnlab-source")
            if parts[-1] in ("FunctionType", "CodeType", "LambdaType") and parts[0] == "types":
                self.flags.add("exec-source")
            if parts[-1] == "__file__" and parts[0] in ("cnnlab",):
                self.flags.add("cnnlab-source")
            if parts[-1] in _IPY_ATTRS and ("get_ipython()" in dotted or parts[0] in ("IPython", "ip", "shell", "ipython")):
                self.flags.add("tamper-ipython")
        if node.attr in _DUNDER_TAMPER:
            self.flags.add("tamper-module" if node.attr != "__builtins__" else "tamper-builtins")
        if node.attr == "__file__":
            self.flags.add("cnnlab-source")
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("__builtins__",):
            self.flags.add("tamper-builtins")
        if node.id == "get_ipython":
            self.flags.add("tamper-ipython")
        if node.id in ("exec", "eval", "compile", "__import__", "breakpoint"):
            self.flags.add("exec-source")
        if node.id == "open":
            self.flags.add("file-access")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self._args = node.args
        name = _dotted(node.func)
        if name in ("setattr", "delattr") and node.args:
            root = _dotted(node.args[0]).split(".")[0]
            if root in self.aliases or root in ("sys", "builtins") or not root:
                self.flags.add("tamper-module")
        if name in ("getattr",) and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant):
            self.flags.add("exec-source")
        if name == "getattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                and str(node.args[1].value).startswith("_") and self.resolve(_dotted(node.args[0])).startswith("cnnlab"):
            self.flags.add("private-helper")
        self.generic_visit(node)

    def _store_target(self, target: ast.AST, top_level: bool) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for t in target.elts:
                self._store_target(t, top_level)
        elif isinstance(target, ast.Starred):
            self._store_target(target.value, top_level)
        elif isinstance(target, ast.Attribute):
            base = _dotted(target.value)
            root = base.split(".")[0] if base else ""
            if root in self.aliases or root in ("sys", "builtins", "__builtins__"):
                full = self.resolve(base)
                if full.split(".")[0] == "sys":
                    self.flags.add("tamper-interpreter")
                elif full.split(".")[0] == "builtins":
                    self.flags.add("tamper-builtins")
                elif full.split(".")[0] in ("IPython",):
                    self.flags.add("tamper-ipython")
                else:
                    self.flags.add("tamper-module")
            elif "get_ipython()" in base:
                self.flags.add("tamper-ipython")
        elif isinstance(target, ast.Subscript):
            base = _dotted(target.value)
            if base in ("globals()", "vars()", "locals()") or self.resolve(base) in ("sys.modules", "builtins.__dict__"):
                self.flags.add("tamper-test-names" if "()" in base else "tamper-interpreter")
            if base.endswith("__dict__"):
                self.flags.add("tamper-module")
        elif isinstance(target, ast.Name) and top_level and target.id in self.test_names:
            self.flags.add("tamper-test-names")


def _top_level_binds(tree: ast.Module, scanner: _Scanner) -> None:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in scanner.test_names:
            scanner.flags.add("tamper-test-names")
        if isinstance(node, ast.Delete):
            for t in node.targets:
                if isinstance(t, ast.Name) and t.id in scanner.test_names:
                    scanner.flags.add("tamper-test-names")
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for a in node.names:
                bound = (a.asname or a.name).split(".")[0]
                if bound in scanner.test_names and bound not in scanner.canonical:
                    scanner.flags.add("tamper-test-names")
                full = a.name if isinstance(node, ast.Import) else f"{node.module}.{a.name}"
                if bound in scanner.canonical and scanner.canonical[bound] != (a.name if a.asname or isinstance(node, ast.ImportFrom) else a.name.split(".")[0]) \
                        and scanner.canonical[bound] != full:
                    scanner.flags.add("tamper-test-names")
    for node in ast.walk(tree):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            top = node in tree.body
            for t in targets:
                scanner._store_target(t, top)
        if isinstance(node, ast.Delete):
            for t in node.targets:
                scanner._store_target(t, False)
        if isinstance(node, (ast.For, ast.With)) and node in tree.body:
            targets = [node.target] if isinstance(node, ast.For) else [i.optional_vars for i in node.items if i.optional_vars]
            for t in targets:
                scanner._store_target(t, True)
        if isinstance(node, ast.Global):
            if any(n in scanner.test_names for n in node.names):
                scanner.flags.add("tamper-test-names")
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            scanner._store_target(node, False)


def _test_names(source: nbformat.NotebookNode) -> tuple[set[str], dict[str, str]]:
    """Names the test cells read without defining them, minus what the student is asked to write;
    and the imports of the released non-answer cells (name -> module), which a student may repeat."""
    answers: set[str] = set()
    free: set[str] = set()
    canonical: dict[str, str] = {}
    for cell in source.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        try:
            tree = ast.parse(_python(cell.source)[0])
        except SyntaxError:
            continue
        if meta.get("solution"):
            answers |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
            answers |= {t.id for n in tree.body if isinstance(n, ast.Assign) for t in n.targets if isinstance(t, ast.Name)}
            continue
        if not meta.get("grade"):
            for n in ast.walk(tree):
                if isinstance(n, ast.Import):
                    for a in n.names:
                        canonical[(a.asname or a.name).split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
                elif isinstance(n, ast.ImportFrom):
                    for a in n.names:
                        canonical[a.asname or a.name] = f"{n.module}.{a.name}"
        # free in this cell: read here, bound nowhere in it (rebinding the others changes nothing)
        bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
        bound |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        bound |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
        bound |= {h.name for h in ast.walk(tree) if isinstance(h, ast.ExceptHandler) and h.name}
        bound |= {(a.asname or a.name).split(".")[0] for n in ast.walk(tree)
                  if isinstance(n, (ast.Import, ast.ImportFrom)) for a in n.names}
        free |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)} - bound
    import builtins
    return (free - answers - set(dir(builtins))) | (set(canonical) - answers), canonical


def _loops_over_outputs(tree: ast.Module) -> bool:
    """a3: does conv_forward_fast loop over images or output positions (or nest three loops)?"""
    for fn in ast.walk(tree):
        if not (isinstance(fn, ast.FunctionDef) and fn.name == "conv_forward_fast"):
            continue
        params = [a.arg for a in fn.args.args]
        suspicious: set[str] = set()
        for node in ast.walk(fn):
            if isinstance(node, ast.Assign):
                text = ast.unparse(node.value)
                names = [t.id for t in ast.walk(node.targets[0]) if isinstance(t, ast.Name)]
                if "conv_output_size" in text or "//" in text:
                    suspicious |= set(names)
                if params and text.startswith(f"{params[0]}.shape") and isinstance(node.targets[0], ast.Tuple):
                    elts = [e.id for e in node.targets[0].elts if isinstance(e, ast.Name)]
                    suspicious |= set(elts[:1] + elts[2:])          # images, height, width of x
            if isinstance(node, ast.Call) and _dotted(node.func) == "conv_forward_naive":
                return True
        depth = _loop_depth(fn)
        if depth >= 3:
            return True
        for node in ast.walk(fn):
            if isinstance(node, (ast.For, ast.comprehension)):
                used = {n.id for n in ast.walk(node.iter) if isinstance(n, ast.Name)}
                if used & suspicious or (params and f"{params[0]}.shape[0]" in ast.unparse(node.iter)) \
                        or (params and ast.unparse(node.iter) in (params[0], f"len({params[0]})")):
                    return True
            if isinstance(node, ast.While):
                return True
    return False


def _loop_depth(node: ast.AST, depth: int = 0) -> int:
    best = depth
    for child in ast.iter_child_nodes(node):
        inner = depth + 1 if isinstance(child, (ast.For, ast.While, ast.comprehension)) else depth
        best = max(best, _loop_depth(child, inner))
    return best


def scan(nb: nbformat.NotebookNode, assignment: str, *, solutions: Path = REPO / "solutions") -> list[str]:
    """Short flag names (see the module docstring) for the student-written code of ``nb``."""
    source_path = solutions / assignment / f"{assignment}.ipynb"
    source = nbformat.read(str(source_path), as_version=4) if source_path.exists() else None
    test_names, canonical = _test_names(source) if source is not None else (set(), {})
    flags: set[str] = set()
    for text, _ in student_cells(nb, Release.of(source)):
        python, shell = _python(text)
        if shell:
            if re.search(r"^\s*%%?(writefile|load|run|save|store|cd|bookmark|pycat|edit)\b", text, re.M):
                flags.add("file-access")
            if re.search(r"^\s*(!|%%?(bash|sh|script|system|sx|perl|ruby)\b)", text, re.M):
                flags.add("process-access")
        try:
            tree = ast.parse(python)
        except SyntaxError:
            flags.add("syntax-error")
            continue
        scanner = _Scanner(dict(canonical), test_names, assignment in NUMPY_ONLY)
        scanner.canonical = canonical
        scanner.visit(tree)
        _top_level_binds(tree, scanner)
        flags |= scanner.flags
        if assignment == "a3" and _loops_over_outputs(tree):
            flags.add("loops-in-vectorised")
    return [f for f in ORDER if f in flags]


def main(argv: list[str] | None = None) -> int:
    """python grading/flags.py ASSIGNMENT NOTEBOOK...: print each notebook's flags."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 2:
        print(main.__doc__, file=sys.stderr)
        return 2
    for path in args[1:]:
        nb = nbformat.read(path, as_version=4)
        print(f"{path}: {' '.join(scan(nb, args[0])) or '-'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
