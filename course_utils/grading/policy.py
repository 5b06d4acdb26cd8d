"""Which imports and constructs a student's cell may use: checked on the source, before anything runs.

Trusted side: run by nbgrader (``preprocessors.PolicyCheck``) in the grading
process and at Validate, never in the kernel. A cell that breaks a rule is not
run; the message names the line and the rule. The rules close the ways a cell
could reach past its own functions: the reference answers (``course_utils``),
the grading machinery, files, IPython's hooks, and private attributes through
which Python code can reach everything else.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

FORBIDDEN_BUILTINS = frozenset({
    "eval", "exec", "compile", "open", "input", "__import__", "globals", "locals", "vars",
    "getattr", "setattr", "delattr", "breakpoint", "help", "exit", "quit", "memoryview",
    "get_ipython", "display", "In", "Out", "course_utils",
})
"""Names a student's cell may not use at all."""

FORBIDDEN_ATTRIBUTES = frozenset({
    # the interpreter, the file system and other processes
    "sys", "os", "modules", "builtins", "subprocess", "importlib", "ctypes", "ctypeslib", "socket",
    "signal", "inspect", "gc", "threading", "multiprocessing", "atexit", "pickle", "marshal",
    "shutil", "pathlib", "io", "tempfile", "code", "codecs", "resource",
    # frames and code objects reachable without underscores
    "gi_frame", "gi_code", "cr_frame", "ag_frame", "f_globals", "f_locals", "f_builtins", "f_back",
    "f_code", "tb_frame", "tb_next", "co_code", "func_globals",
    # reading and writing files through NumPy, Matplotlib and Keras
    "load", "loadtxt", "genfromtxt", "fromfile", "tofile", "memmap", "save", "savez",
    "savez_compressed", "savetxt", "lib", "testing", "f2py", "DataSource", "src", "get_file",
    "load_model", "load_weights", "save_weights", "saving", "imread", "imsave",
    # IPython's display machinery and hooks
    "IPython", "get_ipython", "display", "publish_display_data", "kernel", "shell", "comm",
    "ipykernel", "events", "input_transformers_post", "matplotlib_inline",
})
"""Attribute names a student's cell may not use (``np.load``, ``plt.sys``, ``gen.gi_frame`` ...)."""


@dataclass(frozen=True)
class Violation:
    line: int
    rule: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.rule}"


def check_source(source: str, allowed_imports, *, defines: str | None = None) -> list[Violation]:
    """The rules ``source`` breaks (an empty list when it keeps them all).

    ``allowed_imports``: module names (``"numpy"``) or ``"module.name"`` entries that allow only
    ``from module import name``. ``defines``: a name the cell must define with ``def`` or ``class``
    at its top level (the graded function of a solution cell).
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        text = (error.text or "").strip()
        hint = "IPython magics and shell commands (% and !) are not allowed" if text[:1] in "%!" else \
            f"this is not valid Python: {error.msg}"
        return [Violation(error.lineno or 1, hint)]
    checker = _Checker(frozenset(allowed_imports))
    checker.visit(tree)
    found = checker.violations
    if defines is not None and not _defines(tree, defines):
        found.append(Violation(1, f"this cell must define {defines!r} itself, with def or class"))
    return sorted(set(found), key=lambda v: (v.line, v.rule))


def _defines(tree: ast.Module, name: str) -> bool:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) and node.name == name for node in tree.body)


def _private(name: str) -> bool:
    """Names that start with '_' (a bare '_', the usual throw-away name, is fine)."""
    return name.startswith("_") and name != "_"


class _Checker(ast.NodeVisitor):
    def __init__(self, allowed: frozenset):
        self.allowed = allowed
        self.violations: list[Violation] = []
        self.in_class = False  # directly in a class body
        self.method_self = False  # inside a method whose first argument is self

    def flag(self, node: ast.AST, rule: str) -> None:
        self.violations.append(Violation(getattr(node, "lineno", 1), rule))

    # imports ---------------------------------------------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name not in self.allowed:
                self.flag(node, f"import of {alias.name!r} is not allowed here (allowed: {self._allowed()})")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if _private(alias.name) or alias.name in FORBIDDEN_ATTRIBUTES:
                self.flag(node, f"importing {alias.name!r} is not allowed in graded notebooks")
            elif alias.name == "*":
                self.flag(node, f"'from {module} import *' is not allowed: import the names you use")
            elif module not in self.allowed and f"{module}.{alias.name}" not in self.allowed:
                self.flag(node, f"import of {alias.name!r} from {module!r} is not allowed here "
                                f"(allowed: {self._allowed()})")
        self.generic_visit(node)

    def _allowed(self) -> str:
        return ", ".join(sorted(self.allowed)) or "nothing"

    # names, attributes, strings --------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_BUILTINS:
            self.flag(node, f"the name {node.id!r} is not allowed in graded notebooks")
        elif _private(node.id):
            self.flag(node, f"names that start with '_' are not allowed ({node.id!r})")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _private(node.attr) and not self._is_super_init(node):
            self.flag(node, f"attributes that start with '_' are not allowed ({node.attr!r})")
        elif node.attr in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"the attribute {node.attr!r} is not allowed in graded notebooks")
        self.generic_visit(node)

    @staticmethod
    def _is_super_init(node: ast.Attribute) -> bool:
        value = node.value
        return (node.attr == "__init__" and isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "super")

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, (str, bytes)) and ("__" in str(node.value)):
            self.flag(node, "strings that contain '__' are not allowed (they can name private attributes)")

    # definitions -----------------------------------------------------------------------------------

    def _check_def(self, node) -> None:
        if _private(node.name) and not (node.name == "__init__" and isinstance(node, ast.FunctionDef)):
            self.flag(node, f"defining {node.name!r} is not allowed: names that start with '_' are reserved")
        for arg in _arguments(getattr(node, "args", None)):
            if _private(arg.arg):
                self.flag(arg, f"argument names that start with '_' are not allowed ({arg.arg!r})")

    def visit_FunctionDef(self, node) -> None:
        self._check_def(node)
        first = [*node.args.posonlyargs, *node.args.args][:1]
        saved = self.in_class, self.method_self
        self.method_self = self.in_class and bool(first) and first[0].arg == "self"
        self.in_class = False
        self.generic_visit(node)
        self.in_class, self.method_self = saved

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for arg in _arguments(node.args):
            if _private(arg.arg):
                self.flag(arg, f"argument names that start with '_' are not allowed ({arg.arg!r})")
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_def(node)
        for keyword in node.keywords:
            self.flag(keyword, f"class keywords ({keyword.arg}=...) are not allowed")
        saved = self.in_class, self.method_self
        self.in_class, self.method_self = True, False
        self.generic_visit(node)
        self.in_class, self.method_self = saved

    # assignments -----------------------------------------------------------------------------------

    def _check_target(self, target: ast.AST) -> None:
        if isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._check_target(element)
        elif isinstance(target, ast.Starred):
            self._check_target(target.value)
        elif isinstance(target, ast.Attribute):
            on_self = isinstance(target.value, ast.Name) and target.value.id == "self" and self.method_self
            if not on_self:
                self.flag(target, "attributes may be assigned only on self, in a method of a class "
                                  "(not on modules, functions or other objects)")

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            self._check_target(target)
        self.generic_visit(node)

    def visit_For(self, node) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_comprehension(self, node: ast.comprehension) -> None:
        self._check_target(node.target)
        self.generic_visit(node)

    def visit_withitem(self, node: ast.withitem) -> None:
        if node.optional_vars is not None:
            self._check_target(node.optional_vars)
        self.generic_visit(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if _private(name) or name in FORBIDDEN_BUILTINS:
                self.flag(node, f"'global {name}' is not allowed")


def _arguments(args: ast.arguments | None) -> list[ast.arg]:
    if args is None:
        return []
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return found + [a for a in (args.vararg, args.kwarg) if a is not None]


def describe(violations: list[Violation]) -> str:
    """The violations as the lines of one message."""
    return "\n".join(str(v) for v in violations)
