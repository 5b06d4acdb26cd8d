"""The trusted side of grading, as nbgrader preprocessors wired in by ``nbgrader_config.py``.

``nbgrader autograde`` runs, for every submission: nbgrader's sanitizing steps
(test cells restored from the gradebook), :class:`PolicyCheck` (cells that break
the assignment's policy are not run) and :class:`SandboxedExecute`: the
student's cells run in a bubblewrap sandbox, with limits on time, output,
memory, CPU and processes, and each graded test cell runs here, in the grading
process (``judge``), asking the kernel for results through a :class:`KernelBridge`.
nbgrader's ``SaveAutoGrades`` then scores the test cells' outputs: an error
output if and only if the judge failed the test. ``nbgrader validate`` runs
:class:`PolicyCheck` too, so a student sees a broken rule before handing in.
What these say to the student is in the submitted notebook's language
(``messages.language_of``).
"""

from __future__ import annotations

import ast
import asyncio
import functools
import json
import os
import pathlib
import re
import secrets
import subprocess
import textwrap
import time

from jupyter_core.utils import run_sync
from nbclient.exceptions import CellControlSignal, DeadKernelError
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, OverwriteCells
from traitlets import Bool, Integer, List, Unicode

from course_utils.grading.trusted import limits, policy, results
from course_utils.grading import messages
from course_utils.grading.trusted.judge import TestStopped, judge_test
from course_utils.grading.kernel.plain import MIME
from course_utils.grading.trusted.sandbox import THREAD_ENV, Limits, Sandbox
from course_utils.grading.trusted.sandboxed_kernel import SandboxedKernelManager
from course_utils.grading.trusted.warm_kernels import POOL, Recipe, preload_line


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
        code = [(index, cell) for index, cell in enumerate(nb.cells) if cell.cell_type == "code"]
        untrusted = [(index, cell) for index, cell in code if not self._trusted(cell, sources)]
        modules = {alias: module for _, cell in code for alias, module in policy.module_aliases(cell.source).items()}
        private = set()
        for _, cell in untrusted:
            try:
                private |= policy.bound_private_names(ast.parse(cell.source))
            except SyntaxError:
                pass
        for index, cell in untrusted:
            meta = cell.metadata.get("nbgrader", {})
            defines = meta.get("grade_id") if meta.get("solution") else None
            violations = policy.check_source(cell.source, allowed, defines=defines, modules=modules,
                                             private_names=private)
            if violations:
                self.log.warning("Cell %d breaks the grading policy:\n%s", index, policy.describe(violations))
                _block(cell, violations, validating=sources is None, index=index, language=messages.language_of(nb))
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
        path = _source_notebook(self, resources)
        return limits.course_metadata(path) if path is not None else nb.metadata.get("course", {})


def _source_notebook(preprocessor, resources) -> pathlib.Path | None:
    """The instructor's source notebook of the notebook being autograded (None at Validate)."""
    ids = _nbgrader_ids(resources)
    if ids is None:
        return None
    config = preprocessor.config.get("CourseDirectory", {})
    root = getattr(preprocessor, "root", "") or config.get("root") or os.getcwd()
    source = config.get("source_directory") or "solutions"
    path = pathlib.Path(root) / source / ids[1] / f"{ids[2]}.ipynb"
    if not path.exists():
        raise FileNotFoundError(f"{type(preprocessor).__name__}: the source notebook {path} is missing")
    return path


def notebook_names(source_notebook: dict) -> list[str]:
    """The names a test may ask the kernel about: defined at the top level of the source notebook's other cells."""
    names = set()
    for cell in source_notebook.get("cells", []):
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        if meta.get("solution") and meta.get("grade_id"):
            names.add(meta["grade_id"])
        try:
            tree = ast.parse("".join(cell.get("source", "")))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                names |= {(a.asname or a.name).split(".")[0] for a in node.names}
    return sorted(names)


def _block(cell, violations, *, validating: bool, index: int, language: str = messages.ENGLISH) -> None:
    """Replace the cell by an error that states the rules it breaks; keep the student's code as comments."""
    lines = [messages.say(language, "This cell was not run: it breaks the grading policy"),
             messages.say(language, '(see "What your code may use" at the top).')]
    rules = [messages.say(language, "line {line}: {rule}", line=v.line, rule=messages.translated(v.rule, language))
             for v in violations]
    for rule in rules:
        lines += textwrap.wrap(rule, 76, subsequent_indent="    ")
    notice = "\n".join("# " + line for line in lines)
    kept = "\n".join("# " + line for line in cell.source.splitlines())
    error = messages.say(language, "this cell breaks the grading policy: {rules}", rules="; ".join(rules))
    yours = messages.say(language, "Your code, kept as it was:")
    cell.source = f"{notice}\nraise RuntimeError({error!r})\n\n# {yours}\n{kept}\n"
    if validating:  # Validate reports failed graded cells: make this one count, for 0 points
        meta = cell.metadata.setdefault("nbgrader", {})
        meta.update(grade=True, solution=False, locked=True, points=0, grade_id=f"policy_cell_{index}")
        meta.pop("checksum", None)


class UnreadableKernel(CellControlSignal):
    """The kernel sent a message the grading process cannot read (an integer of a million digits, say)."""


class SandboxedExecute(Execute):
    """nbgrader's Execute with the kernel in a bubblewrap sandbox, limits, and graded test cells judged here.

    While autograding, a graded test cell never reaches the kernel: its trusted
    source (the gradebook's) runs in this process (``judge.judge_test``), and each
    of its requests runs in the kernel as one generated line (``kernel.respond``),
    whose plain results come back over a :class:`KernelBridge`. The cell's outputs
    become what the student's code printed during those requests, then an error
    if and only if the test failed. The time limit of every cell and request is
    the assignment's ``cell_timeout`` (``limits``).
    """

    allow_unsandboxed = Bool(False, help=(
        "Run student code WITHOUT the sandbox when bubblewrap is missing (not recommended: "
        "a submission can then read other submissions and change the gradebook).")).tag(config=True)
    cell_timeout = Integer(0, help=(
        "Seconds one cell, or one request of a test, may run; 0: the assignment's own "
        "(metadata.course.cell_timeout of its source notebook, see course_utils.grading.trusted.limits).")).tag(config=True)
    notebook_timeout = Integer(0, help=(
        "Seconds one notebook may run in all; later cells are not run. 0: from the assignment "
        "(its cell_timeout times its code cells, see course_utils.grading.trusted.limits).")).tag(config=True)
    max_output_bytes = Integer(limits.MAX_OUTPUT_BYTES, help="Output a cell may print before the rest is dropped.").tag(
        config=True)
    max_observation_bytes = Integer(limits.MAX_OBSERVATION_BYTES, help="Observations a notebook may send in all.").tag(
        config=True)
    max_message_bytes = Integer(limits.MAX_MESSAGE_BYTES, help=(
        "Largest message read from a kernel; a larger one is dropped unread and the kernel stopped.")).tag(config=True)
    memory_bytes = Integer(Limits.memory_bytes, help="Address space of the kernel (bytes).").tag(config=True)
    cpu_seconds = Integer(Limits.cpu_seconds, help="CPU time of the kernel (seconds).").tag(config=True)
    processes = Integer(Limits.processes, help="Processes and threads of the kernel.").tag(config=True)
    threads = Integer(Limits.threads, help=(
        "Threads of NumPy's BLAS and TensorFlow in the kernel; 0: as the grader's environment says "
        "(OMP_NUM_THREADS, ...), else the cores shared among the kernels alive at once (the one "
        "grading and its warm spares). The parallel runner sets cores / (workers x kernels each).")).tag(config=True)
    read_only = List(Unicode(), help="Extra paths the kernel may read.").tag(config=True)
    iopub_timeout = Integer(20, help=(
        "Seconds to wait for a cell's last output after its reply, or after an interrupt; on a busy "
        "machine an interrupted kernel can take longer than nbclient's 4 s to answer.")).tag(config=True)
    warm_kernels = Integer(1, help=(
        "Kernels kept started ahead for the next submissions of the same assignment, in sandboxes of "
        "their own, with the assignment's libraries imported (see course_utils.grading.trusted.warm_kernels); "
        "0: every kernel starts when its submission does.")).tag(config=True)
    warm_after = Integer(1, help=(
        "Submissions of an assignment this process grades before it keeps kernels started ahead "
        "(so that grading one submission starts no kernel it will not use).")).tag(config=True)
    seed = Integer(0, help=(
        "Seed of the hidden tests' inputs; 0: a new one for every submission (logged), drawn here, "
        "never in the kernel.")).tag(config=True)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        kwargs.setdefault("shutdown_kernel", "immediate")  # it is killed with its sandbox: no need to wait
        super().__init__(*args, **kwargs)
        self._course: dict = {}
        self._kernel = None
        self._language = messages.ENGLISH

    def sandbox(self) -> Sandbox:
        limits_ = Limits(memory_bytes=self.memory_bytes, cpu_seconds=self.cpu_seconds, processes=self.processes,
                         threads=self.kernel_threads())
        modules = tuple(self._course.get("kernel_modules", ()))
        return Sandbox(limits=limits_, read_only=tuple(self.read_only), kernel_modules=modules)

    def kernel_threads(self) -> int:
        """``threads``, or when 0 and the environment sets none: this machine's cores / kernels alive at once."""
        if self.threads or any(name in os.environ for name in THREAD_ENV):
            return self.threads
        return max(1, len(os.sched_getaffinity(0)) // (1 + self.warm_kernels))

    def preprocess(self, nb, resources=None, km=None):
        self._prepare(nb, resources)
        reason = self.sandbox().available()
        if reason and not self.allow_unsandboxed:
            raise RuntimeError(
                f"autograde refuses to run student code without its sandbox: {reason}. "
                f"To grade anyway, unsandboxed, set c.SandboxedExecute.allow_unsandboxed = True in "
                f"nbgrader_config.py (student code then runs as you, with your files and network).")
        self._use_sandbox = reason is None
        if self._use_sandbox:
            problem = self.sandbox().kernel_problem()
            if problem:  # every submission would score 0: stop here, loudly
                raise RuntimeError(f"autograde cannot grade in this sandbox: {problem}")
        self._started = time.monotonic()
        self._output_bytes, self._observation_bytes = {}, 0
        self._current_index = -1
        self._kernel = None
        try:
            return super().preprocess(nb, resources, km)
        except (DeadKernelError, CellControlSignal) as error:
            reason = self.stopped_kernel(error)
            self.log.warning("%s at cell %d: the remaining cells fail", reason, self._current_index)
            _fail_from(nb, self._current_index, reason, self._language)
            return nb, resources
        finally:
            if self._kernel is not None:
                self._kernel.stop()  # the kernel and its folders: no second submission ever sees them
            hide_paths(nb)  # the graded notebook becomes the student's feedback

    def stopped_kernel(self, error: BaseException) -> str:
        """Why the kernel was given up on, in words a student and an instructor understand."""
        if isinstance(error, DeadKernelError):
            return self._say("the kernel died (memory, CPU or process limit, or a crash)")
        if isinstance(error, UnreadableKernel):
            return str(error)
        if "IOPub" in str(error):
            return self._say("the kernel's output stopped arriving: it sent a message larger than the "
                             "{limit} bytes the grader reads (a huge print or result), or it hung",
                             limit=self.max_message_bytes)
        return self._say("the kernel stopped answering (a cell ran past its time limit and ignored the interrupt)")

    def _say(self, english: str, **fields) -> str:
        """A phrase for the student, in the submitted notebook's language."""
        return messages.say(self._language, english, **fields)

    def _prepare(self, nb, resources) -> None:
        """The trusted facts of this run: test sources, the notebook's names, limits and the hidden seed."""
        self._sources = _gradebook_sources(resources)
        self._language = messages.language_of(nb)  # the submission's: it changes words, never a score
        path = _source_notebook(self, resources)
        source = json.loads(path.read_text()) if path is not None else {"cells": [], "metadata": {}}
        self._course = source.get("metadata", {}).get("course", {}) or nb.metadata.get("course", {})
        self._names = notebook_names(source) if path is not None else []
        course = {**self._course, "cell_timeout": self.cell_timeout} if self.cell_timeout else self._course
        self._cell_limit = limits.cell_timeout(course) if path is not None or self.cell_timeout else self.timeout
        self.timeout_func = lambda cell: self._cell_limit  # nbclient re-reads `timeout` from the config
        self._notebook_limit = self.notebook_timeout or limits.notebook_timeout(course, source if path else nb)
        self._seed = self.seed or secrets.randbits(62)
        self.log.info("hidden tests' seed: %d (set c.SandboxedExecute.seed to repeat it)", self._seed)
        self.on_cell_executed = self._remember_reply
        self._last_reply = None

    def _remember_reply(self, cell, cell_index, execute_reply):
        self._last_reply = execute_reply

    async def async_start_new_kernel(self, **kwargs):
        # the kernel's own stdout and stderr (start-up notes, TensorFlow's C++ log) are not the cells' output
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.max_message_bytes = self.max_message_bytes  # a larger message is never read into memory
        if getattr(self, "_use_sandbox", False):
            recipe = Recipe(self.sandbox(), km.kernel_name, self._kernel_arguments())
            self._kernel = POOL.take(recipe, keep=self.warm_kernels, warm_after=self.warm_after)
            self.log.info("kernel: %s", "started ahead (warm)" if self._kernel.handed_out_warm else "started now")
            self._kernel.hand(os.path.abspath(self.resources.get("metadata", {}).get("path") or "."))
            km.load_connection_file(self._kernel.connection_file)
            km.warm = self._kernel
        return km

    def _kernel_arguments(self) -> tuple[str, ...]:
        """The kernel's arguments: nbclient's own, and the line that imports the assignment's libraries."""
        history = f"--HistoryManager.hist_file={self.ipython_hist_file}"  # nbclient adds it once, to the trait
        arguments = [*self.extra_arguments] + ([] if history in self.extra_arguments else [history])
        line = preload_line(self._course.get("allowed_imports", ["numpy"]))
        return tuple(arguments + ([f"--IPKernelApp.exec_lines={line}"] if line else []))

    async def _async_cleanup_kernel(self):
        if self._kernel is not None:  # killed at once, not asked to stop and polled every 0.1 s
            self._kernel.kill()
        await super()._async_cleanup_kernel()

    _cleanup_kernel = run_sync(_async_cleanup_kernel)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._current_index = cell_index
        if cell.cell_type == "code" and time.monotonic() - self._started > self._notebook_limit:
            cell.outputs = [_error_output("NotebookTimeout", self._say(
                "not run: the notebook used its {limit} s", limit=self._notebook_limit))]
            return cell
        if self._sources is not None and results.is_test_cell(cell):
            return await self._judge(cell, cell_index)
        return await self._run_cell(cell, cell_index, execution_count, store_history)

    async def _run_cell(self, cell, cell_index, execution_count=None, store_history=True):
        """nbclient's cell execution; a message it cannot read stops the kernel (UnreadableKernel), nothing else."""
        try:
            return await Execute.async_execute_cell(self, cell, cell_index, execution_count, store_history)
        except (DeadKernelError, CellControlSignal):
            raise
        except Exception as error:  # noqa: BLE001 (whatever a kernel sends, the grader goes on)
            reason = self._say("the kernel sent a message the grader cannot read ({error}): it was stopped",
                               error=f"{type(error).__name__}: {str(error)[:200]}")
            raise UnreadableKernel(reason) from None

    execute_cell = run_sync(async_execute_cell)

    async def _judge(self, cell, cell_index):
        """Run the test cell's trusted source here; its requests go to the kernel."""
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        source = self._sources[grade_id][0] if grade_id in self._sources else cell.source
        bridge = KernelBridge(self, cell_index, asyncio.get_running_loop(), f"{self._seed}:{grade_id}")
        try:
            judge = functools.partial(judge_test, source, bridge, self._names, grade_id, self._language)
            failure = await asyncio.get_running_loop().run_in_executor(None, judge)
        finally:
            self.nb["cells"][cell_index] = cell  # nbclient wrote each request's cell there
        cell.outputs = bridge.outputs + ([_error_output("AssertionError", failure)] if failure else [])
        if bridge.kernel_error is not None:
            raise bridge.kernel_error  # the kernel is gone: preprocess fails the cells after this one
        return cell

    async def request(self, request: dict, cell_index: int) -> tuple[list, list]:
        """Run one request in the kernel: (its plain results, the outputs to show); TestStopped if it did not finish."""
        token = secrets.token_hex(16)
        text = json.dumps(request)
        if len(text) > self.max_message_bytes:
            raise TestStopped(self._say("the test's request is larger than {limit} bytes",
                                        limit=self.max_message_bytes))
        source = f"__import__('course_utils.grading.kernel.respond').grading.kernel.respond.respond({token!r}, {text!r})"
        call = NotebookNode(cell_type="code", source=source, metadata={}, outputs=[])
        self._last_reply, started = None, time.monotonic()
        await self._run_cell(call, cell_index, store_history=False)
        shown = [o for o in call.outputs if o.get("output_type") == "stream"]
        errors = [o for o in call.outputs if o.get("output_type") == "error"]
        answers = [o["data"][MIME] for o in call.outputs
                   if o.get("output_type") == "display_data" and MIME in o.get("data", {})]
        status = ((self._last_reply or {}).get("content") or {}).get("status")
        if errors or status != "ok":
            raise TestStopped(self._stopped_reason(errors, time.monotonic() - started, cell_index))
        if len(answers) != 1 or answers[0].get("token") != token:
            raise TestStopped(self._say("the test expected one answer from its request and got {count} "
                                        "(or one it did not ask for): code in the notebook published its own",
                                        count=len(answers)))
        results = answers[0].get("results")
        if not isinstance(results, list) or len(results) != len(request["calls"]):
            raise TestStopped(self._say("the answer to the test's request does not hold one result per call"))
        return results, shown

    def _stopped_reason(self, errors, seconds: float, cell_index: int) -> str:
        name = errors[0].get("ename", "") if errors else ""
        if name == "CellTimeoutError" or seconds >= self._cell_limit:
            return self._say("your code ran past the {limit} s this test may take (an endless loop?)",
                             limit=self._cell_limit)
        if self._output_bytes.get(cell_index, 0) > self.max_output_bytes:
            return self._say("your code printed more than {limit} bytes during this test",
                             limit=self.max_output_bytes)
        if errors:
            message = str(errors[0].get("evalue", ""))[:300]
            return self._say("your code stopped this test with {name}: {message}", name=name, message=message) \
                if message else self._say("your code stopped this test with {name}", name=name)
        return "the kernel did not finish this test's request"

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
                                     text="\n" + self._say("[output cut: more than {limit} bytes]",
                                                               limit=self.max_output_bytes) + "\n"))
        return None


class KernelBridge:
    """The judge's way to the kernel: ``ask(request)`` from the judge's thread, run on the executor's loop."""

    def __init__(self, executor: SandboxedExecute, cell_index: int, loop, seed_text: str):
        self.executor, self.cell_index, self.loop = executor, cell_index, loop
        self.seed_text = seed_text
        self.outputs: list = []
        self.kernel_error: BaseException | None = None

    def ask(self, request: dict) -> list:
        if self.kernel_error is not None:
            raise TestStopped(self.executor._say("the kernel is gone"))
        future = asyncio.run_coroutine_threadsafe(self.executor.request(request, self.cell_index), self.loop)
        try:
            results, shown = future.result()
        except (DeadKernelError, CellControlSignal) as error:
            self.kernel_error = error
            reason = self.executor.stopped_kernel(error)
            raise TestStopped(self.executor._say("this test could not finish: {reason}", reason=reason)) from None
        self.outputs += [NotebookNode(output_type="stream", name="stdout", text=o.get("text", "")) for o in shown]
        return results

    def rng(self):
        """A generator for hidden inputs, from this run's seed and the test's name."""
        import hashlib

        import numpy as np

        digest = hashlib.sha256(self.seed_text.encode()).digest()
        return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _error_output(name: str, message: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=name, evalue=message, traceback=[f"{name}: {message}"])


def _fail_from(nb, index: int, reason: str, language: str = messages.ENGLISH) -> None:
    """The cell at ``index`` failed for ``reason`` and the code cells after it were not run."""
    for number, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or number < index:
            continue
        if number == index:
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell.outputs.append(_error_output("KernelStopped", reason))
        else:
            cell.outputs = [_error_output("NotRun", messages.say(language, "not run: {reason} in an earlier cell",
                                                                 reason=reason))]


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

    A submission of a translated release (``metadata.course.language``, see ``messages``) gets its
    locked markdown back from that release, ``<language>/exercises/<assignment>/<notebook>.ipynb``
    in the course directory, not the gradebook's English: the feedback made from it keeps the
    student's language. Code cells are the gradebook's, in every language.
    """

    def preprocess(self, nb, resources):
        self._translated = self._release_markdown(nb, resources)
        return super().preprocess(nb, resources)

    def _release_markdown(self, nb, resources) -> dict[str, str]:
        """``{grade_id: source}`` of the locked markdown cells of the submission's translated release, if any."""
        language = messages.language_of(nb)
        ids = _nbgrader_ids(resources)
        if language == messages.ENGLISH or ids is None:
            return {}
        root = self.config.get("CourseDirectory", {}).get("root") or os.getcwd()
        path = pathlib.Path(root) / language / "exercises" / ids[1] / f"{ids[2]}.ipynb"
        if not path.is_file():
            return {}
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        return {meta["grade_id"]: "".join(cell.get("source", "")) for cell in cells
                if cell.get("cell_type") == "markdown" and (meta := cell.get("metadata", {}).get("nbgrader", {}))
                .get("locked") and meta.get("grade_id")}

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        translated = getattr(self, "_translated", {}).get(grade_id) if cell.cell_type == "markdown" else None
        if translated is not None:
            cell, resources = self._restore(cell, resources, cell_index, grade_id, translated)
            return cell, resources
        if grade_id is not None and utils.is_locked(cell):
            from nbgrader.api import MissingEntry
            from nbgrader.preprocessors import ClearHiddenTests

            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if source_cell is not None and source_cell.locked:
                released = NotebookNode(cell_type=source_cell.cell_type, source=source_cell.source, metadata={})
                # as generate_assignment released it: nbgrader's own preprocessor, through its public method
                ClearHiddenTests(parent=self, enforce_metadata=False).preprocess_cell(released, {}, 0)
                if released.source.rstrip() == cell.source.rstrip():
                    cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)

    def _restore(self, cell, resources, cell_index, grade_id: str, translated: str):
        """A translated release's markdown cell: nbgrader's checks, then the release's own text."""
        from nbgrader.api import MissingEntry

        if cell.source.rstrip() == translated.rstrip():  # untouched: no checksum warning
            try:
                cell.source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id).source
            except MissingEntry:
                pass
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "markdown" and utils.is_locked(cell):
            cell.source = translated
        return cell, resources
