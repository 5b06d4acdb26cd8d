"""Run commands as another Unix user with this course's Python, even if it lives under /root.

The Python the course's environment was made from may sit in a folder other users cannot
enter (pyenv under /root, mode 700). ``as_user`` then runs the command in its own mount
namespace where that folder is covered by an empty tmpfs holding only the folders Python
needs, bind-mounted back at their paths: the user runs the same interpreter and sees
nothing else of the private folder. The user id, the groups and every other file's
permissions are the real ones. Needs root, ``unshare`` and ``setpriv`` (util-linux).
"""

from __future__ import annotations

import pathlib
import shlex
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]


def private_folder(path: pathlib.Path) -> pathlib.Path | None:
    """The outermost ancestor of ``path`` that other users cannot enter, or None."""
    for folder in reversed(path.parents):
        if not folder.stat().st_mode & 0o001:
            return folder
    return None


def python_view(stash: pathlib.Path) -> list[str]:
    """Shell lines that, in a private mount namespace, let other users reach this Python.

    ``stash`` is an empty folder others can enter, for the bind mounts' way stations.
    """
    needed = sorted({pathlib.Path(p).resolve() for p in (sys.base_prefix, sys.prefix, ROOT)})
    lines, covered = [], set()
    for number, path in enumerate(needed):
        hidden = private_folder(path)
        if hidden is None:
            continue
        keep = stash / str(number)
        keep.mkdir(mode=0o755, parents=True, exist_ok=True)
        lines.append(f"mount --bind {shlex.quote(str(path))} {shlex.quote(str(keep))}")
        if hidden not in covered:
            covered.add(hidden)
            lines.append(f"mount -t tmpfs -o mode=755 tmpfs {shlex.quote(str(hidden))}")
        lines += [f"mkdir -p {shlex.quote(str(path))}", f"mount --bind {shlex.quote(str(keep))} {shlex.quote(str(path))}"]
    return lines


def as_user(user: str, group: str, argv: list[str], stash: pathlib.Path, cwd: pathlib.Path | None = None) -> list[str]:
    """The command line that runs ``argv`` as ``user``:``group`` (in ``cwd``), with this Python reachable."""
    script = ["set -e", *python_view(stash)]
    if cwd is not None:
        script.append(f"cd {shlex.quote(str(cwd))}")
    script.append(f'exec setpriv --reuid={user} --regid={group} --init-groups -- "$@"')
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c", "\n".join(script), "sh", *argv]
