"""Which imports and constructs a student's cell may use: checked on the source, before anything runs.

Trusted side: run by nbgrader (``preprocessors.PolicyCheck``) in the grading
process and at Validate, never in the kernel. A cell that breaks a rule is not
run; the message names the line, the rule and, where there is one, a way to
write it that is allowed. The policy is defence in depth: grades hold without
it (test cells run outside the kernel, which holds no answer), so where
strictness and fairness pull apart it keeps ordinary Python allowed.

It fails closed where a denylist leaks. Modules: a cell may import only the
standard-library modules of ``policy_names.STANDARD`` and those the
assignment allows, and every attribute chain that starts at a module is
checked link by link against that module's table of names; a module itself
can only be used as ``module.name`` (never passed around or stored), so no
chain can start anywhere else. Other objects: private attributes only on
``self`` in a method, dunders only the few harmless ones, a short list of
file and interpreter attributes never.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from course_utils.grading.trusted.policy_names import MODULE_NAMES, STANDARD

FORBIDDEN_BUILTINS = frozenset({
    "eval", "exec", "compile", "open", "input", "__import__", "globals", "locals", "vars",
    "getattr", "setattr", "delattr", "breakpoint", "help", "exit", "quit", "memoryview",
    "get_ipython", "display", "In", "Out", "course_utils", "__builtins__",
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
    # reading and writing files through NumPy arrays, Matplotlib and Keras objects
    "load", "tofile", "dump", "dumps", "save", "load_model", "load_weights", "save_weights", "saving",
    "savefig", "imread", "imsave", "get_file",
    # IPython's display machinery and hooks
    "IPython", "get_ipython", "display", "publish_display_data", "shell", "comm",
    "ipykernel", "events", "input_transformers_post",
})
"""Attributes no object's chain may use (modules are checked by their tables instead)."""

HARMLESS_DUNDERS = frozenset({"__name__", "__qualname__", "__doc__", "__module__"})
"""Dunder attributes a cell may read (``type(x).__name__`` in an error message)."""

DEFINABLE_DUNDERS = frozenset({
    "__init__", "__iter__", "__next__", "__len__", "__repr__", "__str__", "__call__", "__getitem__",
    "__contains__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__hash__", "__bool__",
    "__add__", "__sub__", "__mul__", "__truediv__", "__enter__", "__exit__",
})
"""Special methods a class in a cell may define (observations are plain data: a lying __eq__ changes nothing)."""


@dataclass(frozen=True)
class Violation:
    line: int
    rule: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.rule}"


def importable(allowed_imports) -> frozenset[str]:
    """The modules a cell may import: the standard ones and the assignment's (``"module.name"`` entries
    allow only ``from module import name``)."""
    return frozenset(STANDARD) | frozenset(allowed_imports)


def check_source(source: str, allowed_imports, *, defines: str | None = None,
                 modules: dict[str, str] | None = None, private_names=frozenset()) -> list[Violation]:
    """The rules ``source`` breaks (an empty list when it keeps them all).

    ``allowed_imports``: the assignment's modules (``"numpy"``) or ``"module.name"`` entries.
    ``defines``: a name the cell must define with ``def`` or ``class`` at its top level.
    ``modules``: module aliases the notebook's other cells bind (``{"np": "numpy"}``; see
    :func:`module_aliases`). ``private_names``: names starting with ``_`` that the student's
    cells bind themselves (their own helpers), which the cell may use.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        text = (error.text or "").strip()
        hint = "IPython magics and shell commands (% and !) are not allowed" if text[:1] in "%!" else \
            f"this is not valid Python: {error.msg}"
        return [Violation(error.lineno or 1, hint)]
    aliases = {**(modules or {}), **module_aliases(source)}
    checker = _Checker(importable(allowed_imports), aliases, frozenset(private_names) | bound_private_names(tree))
    checker.visit(tree)
    found = checker.violations
    if defines is not None and not _defines(tree, defines):
        found.append(Violation(1, f"this cell must define {defines!r} itself, with def or class"))
    return sorted(set(found), key=lambda v: (v.line, v.rule))


def module_aliases(source: str) -> dict[str, str]:
    """``{alias: module}`` for the modules ``source`` imports (``import numpy as np``, ``from numpy import random``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = alias.name if alias.asname else \
                    alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if f"{node.module}.{alias.name}" in MODULE_NAMES:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def bound_private_names(tree: ast.AST) -> frozenset[str]:
    """Single-underscore names (not dunders, not IPython's ``_ih``...) that ``tree`` binds: its own helpers."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
    return frozenset(n for n in bound if _private(n) and not n.startswith("__") and not _ipython_name(n))


def _ipython_name(name: str) -> bool:
    return name in ("_ih", "_oh", "_dh", "_ii", "_iii", "_i", "__", "___") or (
        name[:2] in ("_i", "_o") and name[2:].isdigit()) or name[1:].isdigit()


def _defines(tree: ast.Module, name: str) -> bool:
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return any(isinstance(node, kinds) and node.name == name for node in tree.body)


def _private(name: str) -> bool:
    """Names that start with '_' (a bare '_', the usual throw-away name, is fine)."""
    return name.startswith("_") and name != "_"


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__") and len(name) > 4


class _Checker(ast.NodeVisitor):
    def __init__(self, importable_: frozenset, aliases: dict[str, str], private_names: frozenset):
        self.importable = importable_
        self.aliases = aliases
        self.private_names = private_names
        self.violations: list[Violation] = []
        self.in_class = False  # directly in a class body
        self.method_self = False  # inside a method whose first argument is self
        self.attribute_values: set[int] = set()  # ids of nodes that are the value of an Attribute

    def flag(self, node: ast.AST, rule: str) -> None:
        self.violations.append(Violation(getattr(node, "lineno", 1), rule))

    # imports ---------------------------------------------------------------------------------------

    def _may_import(self, module: str) -> bool:
        """An allowed module, or a submodule of one (``numpy.random``), with a table of names."""
        parts = module.split(".")
        allowed = any(".".join(parts[:n]) in self.importable for n in range(1, len(parts) + 1))
        return allowed and module in MODULE_NAMES

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not self._may_import(alias.name):
                self.flag(node, f"import of {alias.name!r} is not allowed here (allowed: {self._allowed()})")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = "." * node.level + (node.module or "")
        for alias in node.names:
            if alias.name == "*":
                self.flag(node, f"'from {module} import *' is not allowed: import the names you use")
            elif f"{module}.{alias.name}" in self.importable:
                continue  # an entry such as "course_utils.reference.batching.minibatches"
            elif not self._may_import(module):
                self.flag(node, f"import of {alias.name!r} from {module!r} is not allowed here "
                                f"(allowed: {self._allowed()})")
            elif alias.name not in MODULE_NAMES.get(module, ()) and f"{module}.{alias.name}" not in MODULE_NAMES:
                self.flag(node, f"importing {alias.name!r} from {module!r} is not allowed in graded notebooks "
                                f"(see \"What your code may use\" for the names allowed)")

    def _allowed(self) -> str:
        return ", ".join(sorted(self.importable)) or "nothing"

    # names and attributes --------------------------------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_BUILTINS:
            self.flag(node, f"the name {node.id!r} is not allowed in graded notebooks")
        elif _private(node.id) and node.id not in self.private_names:
            self.flag(node, f"names that start with '_' are allowed only for your own helpers ({node.id!r})")
        elif node.id == "self" and isinstance(node.ctx, ast.Store):
            self.flag(node, "'self' may not be given another value")
        elif node.id in self.aliases and id(node) not in self.attribute_values and isinstance(node.ctx, ast.Load):
            self.flag(node, f"a module may be used only as {node.id}.name (not passed, stored or returned)")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.attribute_values.add(id(node.value))
        module = self._module_of(node.value)
        if module is not None:
            self._check_module_attribute(node, module)
        else:
            self._check_object_attribute(node)
        self.generic_visit(node)

    def _module_of(self, node: ast.AST) -> str | None:
        """The module a chain such as ``np.random`` names, if it names one."""
        if isinstance(node, ast.Name):
            return self.aliases.get(node.id)
        if isinstance(node, ast.Attribute):
            parent = self._module_of(node.value)
            if parent is not None and f"{parent}.{node.attr}" in MODULE_NAMES:
                return f"{parent}.{node.attr}"
        return None

    def _check_module_attribute(self, node: ast.Attribute, module: str) -> None:
        names = MODULE_NAMES.get(module)
        if names is None or node.attr not in names:
            self.flag(node, f"{module}.{node.attr} is not one of the names of {module} graded notebooks may use")
        elif f"{module}.{node.attr}" in MODULE_NAMES and id(node) not in self.attribute_values:
            self.flag(node, f"a module may be used only as {module}.{node.attr}.name (not passed, stored or returned)")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            self.flag(node, "attributes may be assigned only on self, in a method of a class "
                            "(not on modules, functions or other objects)")

    def _check_object_attribute(self, node: ast.Attribute) -> None:
        name = node.attr
        on_self = isinstance(node.value, ast.Name) and node.value.id == "self" and self.method_self
        if _dunder(name):
            if name not in HARMLESS_DUNDERS and not self._is_super_init(node):
                self.flag(node, f"the attribute {name!r} is not allowed (of the special names, only "
                                f"{', '.join(sorted(HARMLESS_DUNDERS))} can be read)")
        elif _private(name) and not on_self:
            self.flag(node, f"attributes that start with '_' are allowed only on self, in a method ({name!r})")
        elif name in FORBIDDEN_ATTRIBUTES:
            self.flag(node, f"the attribute {name!r} is not allowed in graded notebooks")

    @staticmethod
    def _is_super_init(node: ast.Attribute) -> bool:
        value = node.value
        return (node.attr == "__init__" and isinstance(value, ast.Call) and isinstance(value.func, ast.Name)
                and value.func.id == "super")

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "type" and len(node.args) + len(node.keywords) != 1:
            self.flag(node, "type() may be called only with one argument, to ask an object's type "
                            "(write a class statement to make a class)")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, (str, bytes)) and ("__" in str(node.value)):
            self.flag(node, "strings that contain '__' are not allowed (they can name special attributes)")

    def visit_MatchClass(self, node) -> None:
        self.flag(node, "class patterns in match (case Name(...)) are not allowed: use isinstance() and "
                        "attributes, or match on values")
        self.generic_visit(node)

    # definitions -----------------------------------------------------------------------------------

    def _check_def(self, node, in_class: bool) -> None:
        if _dunder(node.name):
            if not (in_class and isinstance(node, ast.FunctionDef) and node.name in DEFINABLE_DUNDERS):
                self.flag(node, f"defining {node.name!r} is not allowed (a class may define "
                                f"{', '.join(sorted(DEFINABLE_DUNDERS))})")
        for arg in _arguments(getattr(node, "args", None)):
            if _dunder(arg.arg):
                self.flag(arg, f"argument names that start and end with '__' are not allowed ({arg.arg!r})")

    def visit_FunctionDef(self, node) -> None:
        self._check_def(node, self.in_class)
        first = [*node.args.posonlyargs, *node.args.args][:1]
        others = [*node.args.posonlyargs, *node.args.args][1:] + node.args.kwonlyargs
        if (first and first[0].arg == "self" and not self.in_class) or any(a.arg == "self" for a in others):
            self.flag(node, "a parameter named 'self' is allowed only as the first one of a method, "
                            "in a class body")
        saved = self.in_class, self.method_self
        self.method_self = self.in_class and bool(first) and first[0].arg == "self"
        self.in_class = False
        self.generic_visit(node)
        self.in_class, self.method_self = saved

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        for arg in _arguments(node.args):
            if arg.arg == "self" or _dunder(arg.arg):
                self.flag(arg, f"a lambda may not have a parameter named {arg.arg!r}")
        saved, self.method_self = self.method_self, False
        self.generic_visit(node)
        self.method_self = saved

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._check_def(node, False)
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
            if name in FORBIDDEN_BUILTINS or (_private(name) and name not in self.private_names):
                self.flag(node, f"'global {name}' is not allowed")


def _arguments(args: ast.arguments | None) -> list[ast.arg]:
    if args is None:
        return []
    found = [*args.posonlyargs, *args.args, *args.kwonlyargs]
    return found + [a for a in (args.vararg, args.kwarg) if a is not None]


def describe(violations: list[Violation]) -> str:
    """The violations as the lines of one message."""
    return "\n".join(str(v) for v in violations)
