"""The SQLite gradebook made safe for parallel writers (imported by ``nbgrader_config.py``).

nbgrader's ``Gradebook`` opens SQLite through SQLAlchemy with the driver's
defaults: a rollback journal (a reader holds off every writer) and a 5 s wait
for a lock. With several ``nbgrader autograde`` processes at once that ends in
"database is locked" and a lost grade. Importing this module registers, for
every SQLite connection SQLAlchemy opens in this process:

* ``journal_mode=WAL``: readers (the formgrader, the judge) never block the
  writer; stored in the database file, so it stays on once set;
* ``synchronous=NORMAL`` (safe with WAL: a crashed program loses nothing; a
  power cut can lose the last commits, and a re-run grades those again);
* ``busy_timeout``: a writer waits its turn (``BUSY_TIMEOUT_MS``) instead of failing;
* with ``COURSE_GRADEBOOK_IMMEDIATE=1`` in the environment (the parallel
  runner sets it in its workers), ``BEGIN IMMEDIATE``: a transaction takes the
  write lock when it starts, so a read-then-write never fails half-way when
  another worker committed in between (SQLite does not wait in that case).
  Not set elsewhere: the formgrader keeps a session open between requests and
  must not hold the write lock.

WAL needs a local file system; for workers on several machines use PostgreSQL
through ``CourseDirectory.db_url``. Nothing changes for other databases.

It also silences one SQLAlchemy warning that ``nbgrader autograde`` prints for every
new submission, ``SAWarning: Object of type <SubmittedAssignment> not in session, add
operation along 'Assignment.submissions' will not proceed`` (and the same for
``Student.submissions`` and ``Notebook.submissions``). nbgrader's
``Gradebook.add_submission`` builds the submission with its assignment and student
before adding it to the session, and reads ``submission.assignment.notebooks`` first:
SQLAlchemy 2's autoflush notes that the back-reference is not added yet. nbgrader adds
the object right after, and nothing is lost; an instructor cannot act on it. Only that
message is filtered (``SILENCED``); every other SQLAlchemy warning still shows.
"""

from __future__ import annotations

import os
import sqlite3
import warnings

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SAWarning

BUSY_TIMEOUT_MS = 120_000
IMMEDIATE_ENV = "COURSE_GRADEBOOK_IMMEDIATE"
SILENCED = (r"Object of type <(SubmittedAssignment|SubmittedNotebook|Grade|Comment)> not in session, "
            r"add operation along '(Assignment|Student|Notebook|SubmittedAssignment|SubmittedNotebook)\.\w+' "
            r"will not proceed")
"""The SQLAlchemy warning of nbgrader's ``add_submission`` (see above), as a ``warnings`` message pattern."""

warnings.filterwarnings("ignore", message=SILENCED, category=SAWarning)


def _immediate() -> bool:
    return os.environ.get(IMMEDIATE_ENV) == "1"


@event.listens_for(Engine, "connect")
def _on_connect(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # transactions begin where SQLAlchemy says (below), not in the driver
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() not in ("wal", "memory"):
        cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")  # with WAL: safe from crashes of the program, one fsync less
    cursor.close()


@event.listens_for(Engine, "begin")
def _on_begin(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE" if _immediate() else "BEGIN")
