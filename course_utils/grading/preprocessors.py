"""The trusted side of grading, as nbgrader preprocessors wired in by ``nbgrader_config.py``.

``nbgrader autograde`` runs, for every submission: nbgrader's sanitizing steps
(test cells restored from the gradebook), :class:`PolicyCheck` (cells that break
the assignment's policy are not run), :class:`SandboxedExecute` (the notebook runs
in a bubblewrap sandbox, with limits on time, output, memory, CPU and processes)
and :class:`Judge` (each graded test cell's verdict recomputed outside the
kernel from its observations); nbgrader's ``SaveAutoGrades`` then scores the
judged outputs. ``nbgrader validate`` runs :class:`PolicyCheck` too, so a student
sees a broken rule before handing in.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile
import textwrap
import time

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellControlSignal, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, OverwriteCells
from traitlets import Bool, Integer, List, Unicode

from course_utils.grading import policy
from course_utils.grading.judge import judge_cell
from course_utils.grading.observe import MIME
from course_utils.grading.sandbox import INSTALL_HINT, Limits, Sandbox
from course_utils.grading.sandboxed_kernel import SandboxedKernelManager


def _nbgrader_ids(resources) -> tuple[str, str, str] | None:
    """(db_url, assignment, notebook) while autograding; None at Validate."""
    info = (resources or {}).get("nbgrader") or {}
    if not {"db_url", "assignment", "notebook"} <= set(info):
        return None
    return info["db_url"], info["assignment"], info["notebook"]


def _gradebook_sources(resources) -> dict[str, tuple[str, bool]] | None:
    """``{grade_id: (source, locked)}`` of the assignment's cells, from the gradebook (trusted)."""
    ids = _nbgrader_ids(resources)
    if ids is None:
        return None
    from nbgrader.api import Gradebook

    db_url, assignment, notebook = ids
    with Gradebook(db_url) as gradebook:
        cells = gradebook.find_notebook(notebook, assignment).source_cells
        return {cell.name: (cell.source, bool(cell.locked)) for cell in cells}


class PolicyCheck(NbGraderPreprocessor):
    """Cells a student could have written that break the assignment's policy are replaced by an error."""

    source_directory = Unicode("solutions", help="Where the trusted source notebooks are (their policy).").tag(
        config=True)
    root = Unicode("", help="The course directory (default: CourseDirectory.root, else the working directory).").tag(
        config=True)

    def preprocess(self, nb, resources):
        sources = _gradebook_sources(resources)
        course = self._course_metadata(nb, resources)
        allowed = course.get("allowed_imports", ["numpy", "math"])
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or self._trusted(cell, sources):
                continue
            meta = cell.metadata.get("nbgrader", {})
            defines = meta.get("grade_id") if meta.get("solution") else None
            violations = policy.check_source(cell.source, allowed, defines=defines)
            if violations:
                self.log.warning("Cell %d breaks the grading policy:\n%s", index, policy.describe(violations))
                _block(cell, violations, validating=sources is None, index=index)
        return nb, resources

    @staticmethod
    def _trusted(cell, sources) -> bool:
        meta = cell.metadata.get("nbgrader", {})
        if sources is None:  # at Validate: the student's own copy, locked cells are the given ones
            return bool(meta.get("locked")) and not meta.get("solution")
        known = sources.get(meta.get("grade_id"))
        if known is None or not known[1] or meta.get("solution") or not cell.source.endswith(known[0]):
            return False
        prefix = cell.source[: len(cell.source) - len(known[0])]  # nbgrader's note on a restored cell
        return all(not line.strip() or line.lstrip().startswith("#") for line in prefix.splitlines())

    def _course_metadata(self, nb, resources) -> dict:
        """The policy from the instructor's source notebook while autograding, else from this notebook."""
        ids = _nbgrader_ids(resources)
        if ids is not None:
            path = self._source_path(ids[1], ids[2])
            if not path.exists():
                raise FileNotFoundError(f"PolicyCheck: the source notebook {path} (its policy) is missing")
            return json.loads(path.read_text()).get("metadata", {}).get("course", {})
        return nb.metadata.get("course", {})

    def _source_path(self, assignment: str, notebook: str) -> pathlib.Path:
        root = self.root or self.config.get("CourseDirectory", {}).get("root") or os.getcwd()
        source = self.config.get("CourseDirectory", {}).get("source_directory") or self.source_directory
        return pathlib.Path(root) / source / assignment / f"{notebook}.ipynb"


def _block(cell, violations, *, validating: bool, index: int) -> None:
    """Replace the cell by an error that states the rules it breaks; keep the student's code as comments."""
    lines = ["This cell was not run: it breaks the grading policy", '(see "What your code may use" at the top).']
    for violation in violations:
        lines += textwrap.wrap(str(violation), 76, subsequent_indent="    ")
    notice = "\n".join("# " + line for line in lines)
    kept = "\n".join("# " + line for line in cell.source.splitlines())
    error = "this cell breaks the grading policy: " + "; ".join(str(v) for v in violations)
    cell.source = f"{notice}\nraise RuntimeError({error!r})\n\n# Your code, kept as it was:\n{kept}\n"
    if validating:  # Validate reports failed graded cells: make this one count, for 0 points
        meta = cell.metadata.setdefault("nbgrader", {})
        meta.update(grade=True, solution=False, locked=True, points=0, grade_id=f"policy_cell_{index}")
        meta.pop("checksum", None)


class SandboxedExecute(Execute):
    """nbgrader's Execute with the kernel in a bubblewrap sandbox, and limits on time and output."""

    allow_unsandboxed = Bool(False, help=(
        "Run student code WITHOUT the sandbox when bubblewrap is missing (not recommended: "
        "a submission can then read other submissions and change the gradebook).")).tag(config=True)
    notebook_timeout = Integer(900, help="Seconds one notebook may run in all; later cells are not run.").tag(
        config=True)
    max_output_bytes = Integer(1_000_000, help="Output a cell may print before the rest is dropped.").tag(config=True)
    max_observation_bytes = Integer(50_000_000, help="Observations a notebook may record in all.").tag(config=True)
    memory_bytes = Integer(Limits.memory_bytes, help="Address space of the kernel (bytes).").tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds, help="CPU time of the kernel (seconds).").tag(config=True)
    processes = Integer(Limits.processes, help="Processes and threads of the kernel.").tag(config=True)
    threads = Integer(Limits.threads, help=(
        "Threads of NumPy's BLAS and TensorFlow in the kernel; 0: as the grader's environment says "
        "(OMP_NUM_THREADS, ...), else every core. The parallel runner sets cores / workers.")).tag(config=True)
    read_only = List(Unicode(), help="Extra paths the kernel may read.").tag(config=True)
    iopub_timeout = Integer(20, help=(
        "Seconds to wait for a cell's last output after its reply, or after an interrupt; on a busy "
        "machine an interrupted kernel can take longer than nbclient's 4 s to answer.")).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)
        self._sandbox_dir = None

    def sandbox(self) -> Sandbox:
        limits = Limits(memory_bytes=self.memory_bytes, cpu_seconds=self.cpu_seconds, processes=self.processes,
                        threads=self.threads)
        return Sandbox(limits=limits, read_only=tuple(self.read_only))

    def preprocess(self, nb, resources=None, km=None):
        reason = self.sandbox().available()
        if reason and not self.allow_unsandboxed:
            raise RuntimeError(
                f"autograde refuses to run student code without its sandbox: {reason}. "
                f"To grade anyway, unsandboxed, set c.SandboxedExecute.allow_unsandboxed = True in "
                f"nbgrader_config.py (student code then runs as you, with your files and network).")
        self._use_sandbox = reason is None
        self._started = time.monotonic()
        self._output_bytes, self._observation_bytes = {}, 0
        self._sandbox_dir = tempfile.mkdtemp(prefix="course-kernel-")
        self._current_index = -1
        try:
            return super().preprocess(nb, resources, km)
        except (DeadKernelError, CellControlSignal) as error:
            reason = ("the kernel died (memory, CPU or process limit, or a crash)" if isinstance(error, DeadKernelError)
                      else "the kernel stopped answering (a cell ran past its time limit and ignored the interrupt)")
            self.log.warning("%s at cell %d: the remaining cells fail", reason, self._current_index)
            _fail_from(nb, self._current_index, reason)
            return nb, resources
        finally:
            shutil.rmtree(self._sandbox_dir, ignore_errors=True)

    async def async_start_new_kernel(self, **kwargs):
        # the kernel's own stdout and stderr (start-up notes, TensorFlow's C++ log) are not the cells' output
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if getattr(self, "_use_sandbox", False):
            sockets = os.path.join(self._sandbox_dir, "sockets")
            scratch = os.path.join(self._sandbox_dir, "tmp")
            os.makedirs(sockets, exist_ok=True)
            os.makedirs(scratch, exist_ok=True)
            km.transport, km.ip = "ipc", os.path.join(sockets, "kernel")
            km.connection_file = os.path.join(sockets, "kernel.json")
            km.wrap = lambda argv, workdir: self.sandbox().command(
                argv, workdir=workdir, socket_dir=sockets, scratch_dir=scratch,
                work_copy=_working_copy(workdir, os.path.join(self._sandbox_dir, "work")))
        return km

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._current_index = cell_index
        if cell.cell_type == "code" and time.monotonic() - self._started > self.notebook_timeout:
            cell.outputs = [_error_output("NotebookTimeout",
                                          f"not run: the notebook used its {self.notebook_timeout} s")]
            return cell
        return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    execute_cell = run_sync(async_execute_cell)

    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), default=str))
        if MIME in msg.get("content", {}).get("data", {}):
            self._observation_bytes += size
            if self._observation_bytes <= self.max_observation_bytes:
                return super().output(outs, msg, display_id, cell_index)
            return None
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        if used + size <= self.max_output_bytes:
            return super().output(outs, msg, display_id, cell_index)
        if used <= self.max_output_bytes:
            outs.append(NotebookNode(output_type="stream", name="stdout",
                                     text=f"\n[output cut: more than {self.max_output_bytes} bytes]\n"))
        return None


def _working_copy(workdir: str, copy: str) -> str:
    """A throw-away copy of ``workdir`` for the kernel (links copied as links, never followed)."""
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(workdir, copy, symlinks=True)
    return copy


def _error_output(name: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def _fail_from(nb, index: int, reason: str) -> None:
    """The cell at ``index`` failed for ``reason`` and the code cells after it were not run."""
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or number < index:
            continue
        if number == index:
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell.outputs.append(_error_output("KernelStopped", reason))
        else:
            cell.outputs = [_error_output("NotRun", f"not run: {reason} in an earlier cell")]


class Judge(NbGraderPreprocessor):
    """Recomputes each graded test cell's verdict outside the kernel, from its observations.

    Runs the cell's trusted source (the gradebook's) in this process with
    ``observe`` replaying what the kernel recorded, and rewrites the cell's
    outputs so that nbgrader's SaveAutoGrades scores the judge's verdict: the
    kernel's printed text stays for feedback; an error output appears if and
    only if the judge found the test failed.
    """

    def preprocess(self, nb, resources):
        sources = _gradebook_sources(resources)
        for cell in nb.cells:
            if cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell):
                grade_id = cell.metadata["nbgrader"]["grade_id"]
                source = sources[grade_id][0] if sources and grade_id in sources else cell.source
                observations = [o["data"][MIME]["value"] for o in cell.get("outputs", [])
                                if o.get("output_type") == "display_data" and MIME in o.get("data", {})]
                failure = judge_cell(source, observations, grade_id, kernel_error=_kernel_error(cell))
                cell.outputs = _judged_outputs(cell.get("outputs", []), failure)
        hide_paths(nb)  # the graded notebook becomes the student's feedback
        return nb, resources


def _kernel_error(cell) -> str | None:
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"[:500]
    return None


def _judged_outputs(outputs, failure: str | None) -> list:
    kept = []
    for output in outputs:
        if output.get("output_type") == "stream":
            kept.append(NotebookNode(output_type="stream", name="stdout", text=output.get("text", "")))
        elif output.get("output_type") == "display_data" and MIME in output.get("data", {}):
            kept.append(output)
    if failure is not None:
        kept.append(_error_output("AssertionError", failure))
    return kept


# Feedback without the grading machine's paths -----------------------------------------------------

_SYSTEM_ROOTS = ("/tmp/", "/var/", "/work/", "/root/", "/home/", "/Users/", "/private/", "/usr/", "/opt/", "/srv/",
                 "/mnt/")


def _path_prefixes() -> list[str]:
    """The course's, the Python environment's and the standard library's folders, longest first."""
    import site
    import sys
    import sysconfig

    folders = {sys.prefix, sys.base_prefix, os.getcwd(), *site.getsitepackages(),
               *(sysconfig.get_paths()[k] for k in ("stdlib", "purelib", "platlib"))}
    folders |= {os.path.realpath(f) for f in folders}
    return sorted({f.rstrip("/") + "/" for f in folders if f.strip("/").count("/") >= 1}, key=len, reverse=True)


def _without_paths(text: str, prefixes: list[str]) -> str:
    for prefix in prefixes:
        text = text.replace(prefix, "")
    # whatever absolute path is left (a sandbox's scratch folder, say): keep its file name only
    roots = "|".join(re.escape(r[1:]) for r in _SYSTEM_ROOTS)
    return re.sub(rf"(?<![\w.:/])/(?:{roots})(?:[^\s/'\"()<>:,]+/)*", "", text)


def hide_paths(nb) -> None:
    """Remove the grading machine's folders from every output of ``nb``: tracebacks, errors and printed text.

    ``/work/course/.venv/lib/python3.11/site-packages/numpy/core/x.py`` becomes ``numpy/core/x.py``;
    any other absolute path under a system folder keeps only its file name.
    """
    prefixes = _path_prefixes()
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output["evalue"] = _without_paths(str(output.get("evalue", "")), prefixes)
                output["traceback"] = [_without_paths(line, prefixes) for line in output.get("traceback", [])]
            elif output.get("output_type") == "stream":
                output["text"] = _without_paths(output.get("text", ""), prefixes)
            elif "text/plain" in output.get("data", {}):
                output["data"]["text/plain"] = _without_paths(output["data"]["text/plain"], prefixes)


# Restoring test cells without false alarms ---------------------------------------------------------


class RestoreLockedCells(OverwriteCells):
    """nbgrader's OverwriteCells, without its checksum warning when a test cell only lacks its hidden tests.

    Every release test cell with hidden tests differs from the gradebook's copy by exactly that
    block, so nbgrader warned "Attribute 'checksum' ... has changed!" for untouched submissions.
    Here such a cell gets the gradebook's source back silently; a cell the student really edited
    still gets the warning, and is restored as before.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and utils.is_locked(cell):
            from nbgrader.api import MissingEntry
            from nbgrader.preprocessors import ClearHiddenTests

            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if source_cell is not None and source_cell.locked:
                released = NotebookNode(cell_type=source_cell.cell_type, source=source_cell.source, metadata={})
                ClearHiddenTests(parent=self)._remove_hidden_test_region(released)
                if released.source.rstrip() == cell.source.rstrip():
                    cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)
