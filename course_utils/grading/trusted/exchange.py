"""nbgrader's exchange collect step, made to refuse a submission handed in under another name.

A submission is named after a student, and ``nbgrader submit`` lets anyone choose the
name: ``nbgrader submit ex01 --student=alice`` run by bob puts
``alice+ex01+<time>+<random>`` in the inbound folder. Stock ``nbgrader collect`` warns
("cheating attempt?") and collects it anyway; being the newest, it replaces alice's own
submission, and alice gets bob's grade. The file system knows better: the folder belongs
to the user who wrote it. This collect step skips every submission whose folder is owned
by another user than the one it names, logs it as an error, and picks each student's
newest genuine submission instead.

On a hub where all users share one Unix account (some container spawners), owners say
nothing: set ``c.ExchangeCollect.check_owner = False`` and this behaves as nbgrader's.
"""

from __future__ import annotations

import glob
import os
import pwd

from nbgrader.exchange.default.collect import ExchangeCollect


def owner_name(path: str) -> str:
    """The user name that owns ``path``, or ``uid N`` for an id with no user."""
    uid = os.stat(path).st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


class OwnerCheckedCollect(ExchangeCollect):
    """``nbgrader collect`` that collects only submissions owned by the student they name."""

    def init_src(self):
        super().init_src()  # checks the course and permissions, and reads the due date
        pattern = os.path.join(self.inbound_path, f"{self.coursedir.student_id or '*'}+{self.coursedir.assignment_id}+*")
        records = [self._path_to_record(path) for path in glob.glob(pattern)]
        if self.check_owner:
            records = [record for record in records if self._genuine(record)]
        self.src_records = [self._pick(mine) for mine in self._by_student(records).values()]

    def _genuine(self, record: dict) -> bool:
        owner = owner_name(os.path.join(self.inbound_path, record["filename"]))
        if owner == record["username"]:
            return True
        self.log.error(
            "Not collected: %s names student %r but was handed in by user %r (the folder's owner). "
            "If all users share one Unix account on this hub, set c.ExchangeCollect.check_owner = False.",
            record["filename"], record["username"], owner)
        return False

    @staticmethod
    def _by_student(records: list[dict]) -> dict[str, list[dict]]:
        grouped: dict[str, list[dict]] = {}
        for record in records:
            grouped.setdefault(record["username"], []).append(record)
        return grouped

    def _pick(self, records: list[dict]) -> dict:
        """The newest submission, or with --before-duedate the newest one on time (nbgrader's rule)."""
        newest_first = self._sort_by_timestamp(records)
        if self.duedate is None or not self.before_duedate:
            return newest_first[0]
        on_time = [record for record in newest_first if record["timestamp"] <= self.duedate]
        return (on_time or newest_first)[0]

