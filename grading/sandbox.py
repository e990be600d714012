"""Run a submission's Jupyter kernel inside a bubblewrap (``bwrap``) sandbox.

The kernel sees a read-only system (/usr, /etc), the Python installation and the venv (read-only),
a read-only copy of the ``cnnlab`` package (nothing else of the repository: not ``solutions/``, not
the gradebook, not the other submissions), an empty private /tmp, and one writable scratch folder
``/home/student/<assignment>`` holding only its own submitted notebook. It has no network (its own
empty network namespace; the grader talks to it over unix sockets, jupyter_client's ``ipc``
transport), its own pid namespace (when the kernel exits or is killed, every process it started
dies with it, detached ones included), runs as an unprivileged uid, and has limits on memory
(address space), processes, file size and wall time.

    SandboxKernelManager   a jupyter_client kernel manager that starts kernels this way; nbgrader's
                           Execute preprocessor uses it (nbgrader_config.py)
    probe()                None when the sandbox works on this machine, else why not and how to fix it

When the grader runs as root, bwrap keeps the real uid 0 only long enough to set up the mounts; the
kernel then runs as a real unprivileged uid (``setpriv``), so even a file the mounts missed could not
be written. As an ordinary user, bwrap maps the user to uid 65534 inside a user namespace.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, Unicode

REPO = Path(__file__).resolve().parent.parent
HOME = "/home/student"
CNNLAB_INSIDE = "/opt/cnnlab"
INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: "
                "`sudo dnf install bubblewrap`) and make sure unprivileged user namespaces are "
                "enabled (`sysctl kernel.unprivileged_userns_clone=1`), or grade anyway, unsafely, "
                "with --unsafe-no-sandbox")


def _bwrap() -> str | None:
    """The bwrap executable: $CNNLAB_BWRAP (tests point it at nothing), else bwrap on PATH."""
    if "CNNLAB_BWRAP" in os.environ:
        path = os.environ["CNNLAB_BWRAP"]
        return path if os.access(path, os.X_OK) else None
    return shutil.which("bwrap") or ("/usr/bin/bwrap" if os.access("/usr/bin/bwrap", os.X_OK) else None)


def _as_root() -> bool:
    return os.geteuid() == 0


def _system_binds() -> list[str]:
    """/usr and /etc read-only; /bin, /lib, ... as the host has them (symlinks into /usr or dirs)."""
    args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / name
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), str(host)]
        elif host.is_dir():
            args += ["--ro-bind", str(host), str(host)]
    return args


def _dirs_then_bind(path: str, *, ro: bool = True, inside: str | None = None) -> list[str]:
    """Create the parents of ``inside`` with mode 0755 (bwrap would make them 0700), then bind."""
    inside = inside or path
    args: list[str] = []
    parents = [p for p in Path(inside).parents if str(p) != "/"]
    for parent in reversed(parents):
        args += ["--dir", str(parent)]
    return args + ["--ro-bind" if ro else "--bind", path, inside]


def _python_binds() -> list[str]:
    """The interpreter (base prefix), the venv, and any extra folder on the grader's sys.path
    outside them that holds installed packages (site-packages of a user install)."""
    roots: list[str] = []
    for p in (sys.base_prefix, sys.prefix):
        real = os.path.realpath(p)
        for q in {p, real}:
            if q not in roots and not q.startswith(("/usr/", "/etc/")) and q != "/usr":
                roots.append(q)
    # the interpreter the venv's python symlinks to
    exe = os.path.realpath(sys.executable)
    base = str(Path(exe).parent.parent)
    if base not in roots and not base.startswith("/usr"):
        roots.append(base)
    args: list[str] = []
    for r in sorted(set(roots), key=len):
        if any(r != o and r.startswith(o + "/") for o in roots):
            continue  # already inside another bind
        args += _dirs_then_bind(r)
    return args


def limits_argv(*, memory_mb: int, nproc: int, fsize_mb: int, wall_s: int) -> list[str]:
    """prlimit + timeout: address space, processes (threads count too), file size, no core dumps,
    and a wall-clock limit after which the kernel is killed."""
    mem = memory_mb * 1024 * 1024
    return ["prlimit", f"--as={mem}", f"--nproc={nproc}", f"--fsize={fsize_mb * 1024 * 1024}",
            "--core=0", "--nofile=1024", "--",
            "timeout", "--signal=KILL", str(wall_s)]


def kernel_env(*, python: str, workdir: str = HOME) -> list[str]:
    """The kernel's whole environment (``env -i``): nothing of the grader's leaks in."""
    venv_bin = str(Path(python).parent)
    return ["env", "-i", f"--chdir={workdir}", f"PATH={venv_bin}:/usr/local/bin:/usr/bin:/bin", f"HOME={HOME}",
            f"PYTHONPATH={CNNLAB_INSIDE}", "PYTHONDONTWRITEBYTECODE=1", "LANG=C.UTF-8",
            "MPLCONFIGDIR=/tmp/matplotlib", "XDG_CACHE_HOME=/tmp/cache",
            # one thread per kernel: parallel grading does not oversubscribe the cores, and the
            # numbers are the same whether one submission or sixteen are graded at a time
            "OMP_NUM_THREADS=1", "MKL_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1",
            "CNNLAB_SANDBOX=1"]


def bwrap_argv(*, scratch: Path, conn_dir: Path, workdir: str, uid: int, memory_mb: int = 6144,
               nproc: int = 256, fsize_mb: int = 512, wall_s: int = 1800,
               cnnlab: Path = REPO / "cnnlab") -> list[str]:
    """The command prefix that runs a program in the sandbox (append the kernel's argv).

    scratch: bound read-write at /home/student (the kernel's only writable folder besides /tmp);
    conn_dir: bound read-write at the same path (the kernel's connection file and unix sockets);
    workdir: the kernel's cwd inside (e.g. /home/student/a1).
    """
    bwrap = _bwrap()
    if bwrap is None:
        raise RuntimeError("bwrap (bubblewrap) is not installed: " + INSTALL_HINT)
    args = [bwrap, "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-net",
            "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try", "--hostname", "sandbox"]
    if _as_root():
        # mounts as root, then a real unprivileged uid (setpriv below) with no capabilities left
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:
        args += ["--unshare-user", "--uid", "65534", "--gid", "65534"]
    args += _system_binds()
    # a private /tmp of at most 512 MiB (in memory), writable by the sandbox's uid
    # and a /dev/shm (multiprocessing's semaphores: joblib, torch's DataLoader workers)
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(512 << 20),
             "--tmpfs", "/tmp", "--perms", "1777", "--size", str(256 << 20), "--tmpfs", "/dev/shm"]
    args += _python_binds()
    args += _dirs_then_bind(str(cnnlab), inside=f"{CNNLAB_INSIDE}/cnnlab")
    args += _dirs_then_bind(str(scratch), ro=False, inside=HOME)
    args += _dirs_then_bind(str(conn_dir), ro=False)
    args += ["--chdir", "/", "--"]
    if _as_root():
        args += ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
                 "--inh-caps=-all", "--"]
    args += limits_argv(memory_mb=memory_mb, nproc=nproc, fsize_mb=fsize_mb, wall_s=wall_s)
    # cwd set last, by the unprivileged process (root without capabilities cannot enter the 0700
    # scratch folder owned by the sandbox's uid)
    args += kernel_env(python=sys.executable, workdir=workdir)
    return args


def prepare_dirs(job_dir: Path, uid: int) -> tuple[Path, Path]:
    """Create ``job_dir/home`` (scratch) and ``job_dir/conn`` owned by the sandbox's uid."""
    scratch, conn = job_dir / "home", job_dir / "conn"
    for d in (scratch, conn):
        d.mkdir(parents=True, exist_ok=True)
        if _as_root():
            os.chown(d, uid, uid)
        os.chmod(d, 0o700)
    job_dir.chmod(0o711) if _as_root() else None
    return scratch, conn


@functools.lru_cache(maxsize=1)
def probe() -> str | None:
    """None when a sandboxed Python starts here (as the grader would start a kernel), else why not."""
    if sys.platform != "linux":
        return f"the sandbox needs Linux (bubblewrap); this is {sys.platform}. " + INSTALL_HINT
    if _bwrap() is None:
        return "bwrap (bubblewrap) is not installed: " + INSTALL_HINT
    for tool in ("prlimit", "timeout", "env") + (("setpriv",) if _as_root() else ()):
        if shutil.which(tool) is None:
            return f"`{tool}` (util-linux/coreutils) is not installed; the sandbox needs it"
    with tempfile.TemporaryDirectory(prefix="cnnlab-probe-") as tmp:
        job = Path(tmp)
        job.chmod(0o755)
        scratch, conn = prepare_dirs(job, SandboxKernelManager.sandbox_uid_base)
        code = ("import os, socket, numpy\n"
                "assert os.getuid() != 0, 'runs as root'\n"
                "s = socket.socket(); s.settimeout(1)\n"
                "try:\n    s.connect(('1.1.1.1', 53)); print('network')\n"
                "except OSError:\n    print('ok')\n")
        cmd = bwrap_argv(scratch=scratch, conn_dir=conn, workdir=HOME,
                         uid=SandboxKernelManager.sandbox_uid_base, wall_s=60)
        try:
            proc = subprocess.run(cmd + [sys.executable, "-c", code], capture_output=True,
                                  text=True, timeout=90)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"bwrap could not be started ({exc}): " + INSTALL_HINT
    if proc.returncode != 0 or proc.stdout.strip() != "ok":
        detail = (proc.stderr.strip().splitlines() or [proc.stdout.strip()] or ["?"])[-1]
        return f"bwrap is installed but a sandboxed Python fails here ({detail}): " + INSTALL_HINT
    return None


class SandboxKernelManager(AsyncKernelManager):
    """An AsyncKernelManager whose kernels run in the bubblewrap sandbox, over unix sockets.

    ``job_dir`` (set per submission by grading/grade.py) holds ``home/`` (the scratch folder; the
    grader copies the submitted notebook to ``home/<assignment>/``) and ``conn/`` (connection file
    and sockets). Without it (``nbgrader autograde`` run by hand) a temporary job folder is made.
    Interrupts are sent as messages (bwrap's monitor process would die of a SIGINT).
    """

    job_dir = Unicode("", help="per-submission folder with home/ and conn/").tag(config=True)
    workdir = Unicode(HOME, help="the kernel's cwd inside the sandbox").tag(config=True)
    sandbox_uid_base = 60000
    sandbox_uid = Integer(60000, help="the unprivileged uid the kernel runs as (root graders)").tag(config=True)
    memory_mb = Integer(6144, help="address-space limit of the kernel (MiB)").tag(config=True)
    # as root every worker's kernels have a uid of their own, so 256 bounds one sandbox; as an
    # ordinary user the limit counts all of that user's processes, hence a looser default
    nproc = Integer(256 if _as_root() else 4096,
                    help="limit on processes and threads of the sandbox's uid").tag(config=True)
    wall_s = Integer(1800, help="wall-clock limit of one kernel (seconds)").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.job_dir:
            self.job_dir = tempfile.mkdtemp(prefix="cnnlab-kernel-")
            self._own_job_dir = True
        else:
            self._own_job_dir = False
        self._scratch, self._conn = prepare_dirs(Path(self.job_dir), self.sandbox_uid)
        self.transport = "ipc"
        self.ip = str(self._conn / "k")
        n = len(list(self._conn.glob("kernel-*.json")))
        self.connection_file = str(self._conn / f"kernel-{n}.json")

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if _as_root():
            os.chown(self.connection_file, self.sandbox_uid, self.sandbox_uid)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = [sys.executable, "-m", "ipykernel_launcher", "-f", self.connection_file,
               *(extra_arguments or [])]
        return bwrap_argv(scratch=self._scratch, conn_dir=self._conn, workdir=self.workdir,
                          uid=self.sandbox_uid, memory_mb=self.memory_mb, nproc=self.nproc,
                          wall_s=self.wall_s) + cmd

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        kw.pop("env", None)  # the kernel gets only kernel_env(), never the grader's environment
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        kw["cwd"] = self.job_dir
        # the kernel's own stdout/stderr (start-up notes, a segfault's message) go to a file that
        # grading/worker.py appends to the submission's log
        with open(Path(self.job_dir) / "kernel.log", "ab") as f:
            kw["stdout"] = kw["stderr"] = f
            return await super()._async_launch_kernel(kernel_cmd, **kw)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._own_job_dir and not restart:
            shutil.rmtree(self.job_dir, ignore_errors=True)
