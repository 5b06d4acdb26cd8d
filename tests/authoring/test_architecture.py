"""The package's tree shows its jobs (docs/architecture.md): dependencies point one way, no cycles, no private reach-ins."""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "course_utils"
JOBS = ("reference", "experiments", "grading", "authoring")
# what each job may import of the course (besides itself and the top-level course_utils names)
ALLOWED = {
    "reference": set(),
    "experiments": {"reference"},
    "grading": {"reference"},
    "authoring": {"grading", "reference"},
}


def module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(folder: pathlib.Path = PACKAGE) -> dict[str, pathlib.Path]:
    return {module_name(p): p for p in sorted(folder.rglob("*.py")) if "__pycache__" not in p.parts}


def imports_of(path: pathlib.Path, known: set[str]) -> list[tuple[str, str | None, int]]:
    """``(module, name or None, line)`` for every course module ``path`` imports, at any depth of the file."""
    found = []
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, None, node.lineno) for alias in node.names if alias.name.startswith("course_utils")]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if not base.startswith("course_utils"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.append((full, None, node.lineno) if full in known else (base, alias.name, node.lineno))
    return found


def graph() -> dict[str, set[str]]:
    known = set(modules())
    edges = {}
    for name, path in modules().items():
        targets = {m for m, _, _ in imports_of(path, known)}
        # importing a.b.c imports a and a.b too; only the leaf matters for cycles between modules
        edges[name] = {t for t in targets if t in known and t != name}
    return edges


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle (Tarjan's strongly connected components with more than one module)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def job_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in JOBS else None


def test_the_package_has_one_folder_per_job_and_nothing_loose():
    loose = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert not loose, f"modules outside the jobs' folders (see docs/architecture.md): {loose}"
    assert all((PACKAGE / job / "__init__.py").exists() for job in JOBS)


def test_no_import_cycles_in_the_package():
    assert cycles(graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_jobs_depend_on_each_other_only_one_way():
    wrong = []
    for name, targets in graph().items():
        job = job_of(name)
        for target in targets:
            other = job_of(target)
            if job and other and other != job and other not in ALLOWED[job]:
                wrong.append(f"{name} imports {target}")
    assert not wrong, "see the allowed directions in docs/architecture.md:\n" + "\n".join(sorted(wrong))


def test_the_kernel_side_imports_only_itself():
    kernel = {n: p for n, p in modules().items() if n.startswith("course_utils.grading.kernel")}
    outside = [f"{n} imports {m}" for n, p in kernel.items() for m, _, _ in imports_of(p, set(modules()))
               if not m.startswith("course_utils.grading.kernel")]
    assert not outside, outside


def _python_files():
    for folder in ("course_utils", "tests", "benchmarks"):
        yield from (p for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("path", list(_python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_reaches_into_another_modules_private_names(path):
    known = set(modules())
    tree = ast.parse(path.read_text())
    reached = [f"line {line}: from {m} import {name}" for m, name, line in imports_of(path, known)
               if name and name.startswith("_") and not name.startswith("__")]
    siblings = {p.stem for p in path.parent.glob("*.py")} | {p.stem for p in (ROOT / "tests").glob("*.py")}
    reached += [f"line {node.lineno}: from {node.module} import {alias.name}" for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module in siblings
                for alias in node.names if alias.name.startswith("_") and not alias.name.startswith("__")]
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("course_utils"):
            for alias in node.names:
                if f"{node.module}.{alias.name}" in known:
                    aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in known and alias.asname:
                    aliases[alias.asname] = alias.name
    own = module_name(path) if path.is_relative_to(PACKAGE) else None
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__") and aliases[node.value.id] != own):
            reached.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    assert not reached, f"{path.relative_to(ROOT)} uses private names of other modules " \
                        f"(make them public, or move the code):\n" + "\n".join(reached)


def test_the_maintainers_map_names_every_module_where_it_lives():
    """docs/architecture.md lists each module of each job; a new or moved module must be put on the map."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    tree = text[text.index("```"): text.index("```", text.index("```") + 3)]
    missing = []
    for job in JOBS:
        section = tree[tree.index(f"  {job}/"):]
        following = [tree.index(f"  {other}/") for other in JOBS if tree.index(f"  {other}/") > tree.index(f"  {job}/")]
        section = section[: min(following) - tree.index(f"  {job}/")] if following else section
        for path in sorted((PACKAGE / job).glob("*.py")):
            if path.stem != "__init__" and path.stem not in section:
                missing.append(f"{job}/{path.name}")
    assert not missing, f"docs/architecture.md's map does not name: {missing}"
