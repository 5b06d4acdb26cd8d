"""The "How this notebook works" cell of every exercise, written from the policy's own rules.

``python -m course_utils.authoring.how_it_works solutions/*/*.ipynb`` rewrites the
cell (grade_id ``how_it_works``) of each source notebook; a test checks that every
notebook holds exactly :func:`text` of its assignment, so the rules a student
reads cannot drift from the rules ``policy`` applies. :func:`text_ko` is the same
rules in Korean, from the same facts: the Korean edition's notebooks use it
(``course_utils.authoring.translations``), never a hand translation.
"""

from __future__ import annotations

import sys

from course_utils.grading.trusted import policy
from course_utils.grading.trusted.policy_names import STANDARD

CELL_ID = "how_it_works"
SHOWN_BUILTINS = ("eval", "exec", "compile", "open", "getattr", "setattr", "delattr", "globals", "locals",
                  "vars", "__import__", "breakpoint")


def _code(names) -> str:
    return ", ".join(f"`{name}`" for name in names)


def _imports(allowed, as_from: str = "{name} (as {statement})") -> str:
    modules = [a for a in allowed if a in policy.MODULE_NAMES and a not in STANDARD]
    entries = [a for a in allowed if a not in policy.MODULE_NAMES]
    text = _code(modules)
    for entry in entries:
        module, name = entry.rsplit(".", 1)
        text += ", " + as_from.format(name=f"`{name}`", statement=f"`from {module} import {name}`")
    return text


def _facts(course: dict) -> tuple[list[str], list[str]]:
    """What the cell states: the assignment's allowed imports and the forbidden built-ins shown."""
    allowed = course.get("allowed_imports", ["numpy", "math"])
    forbidden = sorted(set(SHOWN_BUILTINS) & policy.FORBIDDEN_BUILTINS, key=SHOWN_BUILTINS.index)
    return allowed, forbidden


def text(course: dict) -> str:
    """The cell's Markdown for an assignment whose ``metadata.course`` is ``course``."""
    allowed, forbidden = _facts(course)
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
        "  of each module, the names listed in `course_utils/grading/trusted/policy_names.py` (what the course uses).",
        "  A module is used as `np.name`, never passed or stored. Your cells may not use the built-ins",
        f"  {_code(forbidden)}, IPython magics or shell commands (`%`, `!`),",
        "  names that start with `_` other than your own helpers, attributes that start with `_` other than",
        "  `self._name` in a method, or assign attributes of anything but `self`. A cell that breaks a rule is",
        "  not run, and the message names the line and the rule (Validate shows it too).",
        "- Do not edit or delete the test cells: they are restored from the instructor's copy before grading.",
        "- Before you submit: *Kernel → Restart Kernel and Run All Cells*, then press **Validate**",
        "  (or run `nbgrader validate` on this file; see `docs/checking_your_answers.md`).",
    ])


def text_ko(course: dict) -> str:
    """:func:`text` in Korean: the same rules, from the same facts (the Korean edition's cell)."""
    allowed, forbidden = _facts(course)
    return "\n".join([
        "**이 노트북 사용법**",
        "",
        "- `# YOUR CODE HERE`라고 적힌 곳에 코드를 쓰고 `raise NotImplementedError()` 줄은 지웁니다.",
        "  함수 이름과 인수는 그대로 두세요. 테스트가 그 이름으로 함수를 호출합니다.",
        "- 함수를 하나 쓸 때마다 그 셀을 실행해 확인하고, 이어서 테스트 셀을 실행합니다. 테스트 셀은 통과하면",
        "  아무것도 출력하지 않고, 실패하면 기대한 값과 코드가 돌려준 값, 그리고 힌트를 알려 줍니다.",
        "- 테스트 셀은 함수를 입력값으로 호출하고(`observe(steps_per_epoch, 7, 3)`) 돌려준 값을 확인합니다.",
        "  노트북을 채점할 때 테스트 셀은 노트북 밖의 채점기에서 실행됩니다. 화면에 보이는 입력값뿐 아니라",
        "  채점할 때마다 새로 뽑는 *숨겨진* 입력값으로도 함수를 호출하며, 함수가 돌려준 값만 점수에 반영됩니다.",
        "  예시에서만이 아니라 올바른 입력이면 무엇이든 맞는 값을 돌려주도록 작성하세요.",
        "- **코드에서 쓸 수 있는 것.** 채점할 때는 셀을 실행하기 전에 먼저 검사합니다.",
        f"  가져올(import) 수 있는 모듈은 {_imports(allowed, '{name}({statement} 형태로)')}, "
        f"그리고 표준 모듈 {_code(sorted(STANDARD))}입니다.",
        "  각 모듈에서 쓸 수 있는 이름은 `course_utils/grading/trusted/policy_names.py`에 적힌 것(이 과정에서 쓰는 것)입니다.",
        "  모듈은 `np.name`처럼 써야 하며, 모듈 자체를 인수로 넘기거나 변수에 담으면 안 됩니다. 내장 함수",
        f"  {_code(forbidden)}, IPython 매직과 셸 명령(`%`, `!`),",
        "  직접 만든 도우미 함수가 아니면서 `_`로 시작하는 이름, 메서드 안의 `self._name`이 아니면서 `_`로 시작하는",
        "  속성은 쓸 수 없고, `self`가 아닌 객체의 속성에 값을 대입할 수도 없습니다. 규칙을 어긴 셀은",
        "  실행되지 않으며, 메시지가 해당 줄과 규칙을 알려 줍니다(Validate도 보여 줍니다).",
        "- 테스트 셀을 고치거나 지우지 마세요. 채점 전에 강사의 원본으로 되돌려집니다.",
        "- 제출하기 전에: *Kernel → Restart Kernel and Run All Cells*를 실행한 다음 **Validate**를 누릅니다",
        "  (또는 이 파일에 `nbgrader validate`를 실행합니다. `docs/checking_your_answers.md` 참고).",
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
