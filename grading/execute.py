"""nbgrader's Execute preprocessor, made to survive a kernel that dies in one answer.

When the kernel dies while a cell runs (``os._exit``, a fatal signal, a segfault, the sandbox's
memory or wall-time limit), nbgrader's Execute gives up on the whole notebook. ``SandboxExecute``
instead records an error in that cell, starts a fresh kernel, re-runs the earlier code cells
(their outputs are kept from the first run; cells that killed a kernel are skipped) to rebuild the
state, and goes on with the next cell. A killer therefore costs the part it is in; every other
part is graded. A notebook-wide time limit bounds the whole thing.
"""

from __future__ import annotations

import copy
import time

from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbclient import NotebookClient
from traitlets import Bool, Integer

KERNEL_DIED = ("The kernel died while this cell ran ({why}). The grader started a new kernel, "
               "re-ran the earlier cells and went on with the next cell: the parts that depend on "
               "this cell score 0, the others are graded as usual.")
NOT_RUN = "This cell was not run: {why}."


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def coalesce_streams(cell) -> None:
    """Merge consecutive stdout (stderr) outputs: how a print is split into messages depends on
    timing, and the same submission must give the same notebook however loaded the machine is."""
    merged = []
    for out in cell.get("outputs", []):
        if (merged and out.output_type == "stream" and merged[-1].output_type == "stream"
                and merged[-1].name == out.name):
            merged[-1].text += out.text
        else:
            merged.append(out)
    if "outputs" in cell:
        cell.outputs = merged


class SandboxExecute(Execute):
    """Execute every code cell; on a dead kernel, restart, replay and continue (see module doc)."""

    notebook_timeout = Integer(1800, help="wall-clock limit of the whole notebook (seconds)").tag(config=True)
    max_kernel_deaths = Integer(8, help="give up on the remaining cells after this many").tag(config=True)
    sandboxed = Bool(True, help="run the kernel in the bubblewrap sandbox (grading/sandbox.py); "
                     "False only for --unsafe-no-sandbox").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        # nbgrader's Execute passes its kernel manager as an argument, which beats the config
        if self.sandboxed:
            from grading.sandbox import SandboxKernelManager

            self.kernel_manager_class = SandboxKernelManager
        self.record_timing = False  # no timestamps: the same submission gives the same bytes

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        coalesce_streams(cell)
        return cell, resources

    def _why_dead(self) -> str:
        try:
            proc = self.km.provisioner.process  # type: ignore[union-attr]
            rc = proc.poll() if proc is not None else None
        except Exception:
            rc = None
        if rc is None:
            return "it stopped responding"
        if rc < 0 or rc > 128:
            sig = -rc if rc < 0 else rc - 128
            names = {9: "SIGKILL (or the memory / time limit)", 11: "SIGSEGV, a segmentation fault",
                     6: "SIGABRT", 15: "SIGTERM"}
            return f"killed by signal {names.get(sig, sig)}"
        return f"the kernel process exited with status {rc}"

    def _replay(self, index: int, resources) -> None:
        cell = copy.deepcopy(self.nb.cells[index])
        self.execute_cell(cell, index, store_history=False)

    def _start(self) -> None:
        self.km = self.create_kernel_manager()
        self.kc = None
        self.start_new_kernel()
        self.start_new_kernel_client()
        info = self.wait_for_reply(self.kc.kernel_info())
        self.nb.metadata["language_info"] = info["content"]["language_info"]

    def preprocess(self, nb, resources=None, km=None):
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        deadline = time.monotonic() + self.notebook_timeout
        killers: set[int] = set()
        done = 0  # cells before `done` have run (or were skipped) in the first pass
        code = [i for i, c in enumerate(self.nb.cells) if c.cell_type == "code"]
        while done < len(self.nb.cells):
            current = None
            try:
                self._start()
                for i in code:  # rebuild the state the earlier cells made
                    if i >= done:
                        break
                    if i in killers:
                        continue
                    current = i
                    self._replay(i, resources)
                for i in range(done, len(self.nb.cells)):
                    if time.monotonic() > deadline:
                        for j in code:
                            if j >= i:
                                self.nb.cells[j].outputs = [_error("NotebookTimeout", NOT_RUN.format(
                                    why=f"the notebook ran past its {self.notebook_timeout} s limit"))]
                        done = len(self.nb.cells)
                        break
                    current = i
                    self.preprocess_cell(self.nb.cells[i], resources, i)
                    done = i + 1
            except DeadKernelError:
                why = self._why_dead()
                self.log.warning("kernel died in cell %s (%s); restarting", current, why)
                if current is not None:
                    killers.add(current)
                    if current >= done:
                        cell = self.nb.cells[current]
                        cell.setdefault("outputs", []).append(_error("KernelDied", KERNEL_DIED.format(why=why)))
                        done = current + 1
                if len(killers) >= self.max_kernel_deaths or current is None:
                    for j in code:
                        if j >= done:
                            self.nb.cells[j].outputs = [_error("KernelDied", NOT_RUN.format(
                                why=f"the kernel died {len(killers)} times"))]
                    done = len(self.nb.cells)
            finally:
                self._cleanup_kernel()
                self.km = None
                self.kc = None
        self.set_widgets_metadata()
        return self.nb, self.resources
