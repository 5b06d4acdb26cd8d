"""The "How this notebook works" cell of every exercise, written from the policy's own rules.

``python -m course_utils.grading.how_it_works solutions/*/*.ipynb`` rewrites the
cell (grade_id ``how_it_works``) of each source notebook; a test checks that every
notebook holds exactly :func:`text` of its assignment, so the rules a student
reads cannot drift from the rules ``policy`` applies.
"""

from __future__ import annotations

import sys

from course_utils.grading import policy
from course_utils.grading.policy_names import STANDARD

CELL_ID = "how_it_works"
SHOWN_BUILTINS = ("eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
                  "vars", "__import__", "breakpoint")


def _code(names) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _imports(allowed) -> str:
    modules = [a for a in allowed if a in policy.MODULE_NAMES and a not in STANDARD]
    entries = [a for a in allowed if a not in policy.MODULE_NAMES]
    text = _code(modules)
    for entry in entries:
        module, name = entry.rsplit(".", 1)
        text += f", `{name}` (as `from {module} import {name}`)"
    return text


def text(course: dict) -> str:
    """The cell's Markdown for an assignment whose ``metadata.course`` is ``course``."""
    allowed = course.get("allowed_imports", ["numpy", "math"])
    forbidden = sorted(set(SHOWN_BUILTINS) & policy.FORBIDDEN_BUILTINS, key=SHOWN_BUILTINS.index)
    return "\n".join([
        "**How this notebook works**",
        "",
        "- Write your code where it says `# YOUR CODE HERE` and delete the `raise NotImplementedError()` line.",
        "  Keep the function names and arguments: the tests call them.",
        "- Run the cell after each function to try it, then run the test cells. A test cell prints nothing when",
        "  it passes; when it fails, its message says what was expected, what your code gave, and a hint.",
        "- A test cell calls your functions on inputs (`observe(steps_per_epoch, 7, 3)`) and checks what they",
        "  return. When your notebook is graded, the test cells run in the grader, outside your notebook: they",
        "  call your functions on the inputs you see and on *hidden* ones, drawn afresh for every grading, and",
        "  only what your functions return counts. Make them right for every valid input, not just the examples.",
        "- **What your code may use.** When your notebook is graded, your cells are checked before they run.",
        f"  They may import {_imports(allowed)}, and the standard modules {_code(sorted(STANDARD))};",
        "  of each module, the names listed in `course_utils/grading/policy_names.py` (what the course uses).",
        "  A module is used as `np.name`, never passed or stored. Your cells may not use the built-ins",
        f"  {_code(forbidden)}, IPython magics or shell commands (`%`, `!`),",
        "  names that start with `_` other than your own helpers, attributes that start with `_` other than",
        "  `self._name` in a method, or assign attributes of anything but `self`. A cell that breaks a rule is",
        "  not run, and the message names the line and the rule (Validate shows it too).",
        "- Do not edit or delete the test cells: they are restored from the instructor's copy before grading.",
        "- Before you submit: *Kernel → Restart Kernel and Run All Cells*, then press **Validate**",
        "  (or run `nbgrader validate` on this file; see `docs/checking_your_answers.md`).",
    ])


def update(path: str) -> bool:
    """Rewrite the cell in the source notebook at ``path``; True if it changed."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == CELL_ID]
    if len(cells) != 1:
        raise ValueError(f"{path}: expected one cell with grade_id {CELL_ID!r}, found {len(cells)}")
    new = text(nb.metadata.get("course", {}))
    if cells[0].source == new:
        return False
    cells[0].source = new
    nbformat.write(nb, path)
    return True


if __name__ == "__main__":
    for notebook in sys.argv[1:]:
        print(("updated " if update(notebook) else "unchanged ") + notebook)
