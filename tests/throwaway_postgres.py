"""A throw-away PostgreSQL server for tests: its own cluster in a temporary folder, on 127.0.0.1, deleted after.

Debian's ``initdb`` refuses to run as root: as root, the server runs as the
``postgres`` user the package creates (``runuser -u postgres --``), in a folder it owns.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile

from grading_harness import postgres_bin


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_server(database: str = "gradebook"):
    """Yield the SQLAlchemy URL of an empty database on a fresh server; stop and delete it at the end."""
    import psycopg2

    bin_dir = postgres_bin()
    folder = tempfile.mkdtemp(prefix="course-postgres-")
    as_user = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = os.path.join(folder, "data"), _free_port()

    def run(*command):
        result = subprocess.run([*as_user, *command], capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{command[0]} failed:\n{result.stdout}\n{result.stderr}"

    try:
        run(str(bin_dir / "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        run(str(bin_dir / "pg_ctl"), "-D", data, "-l", os.path.join(folder, "log"), "-w", "-t", "60",
            "-o", f"-h 127.0.0.1 -p {port} -k {folder} -F", "start")
        connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
        connection.autocommit = True
        connection.cursor().execute(f"CREATE DATABASE {database}")
        connection.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{database}"  # SQLAlchemy 2.1's default is psycopg 3
    finally:
        if os.path.exists(os.path.join(data, "postmaster.pid")):
            subprocess.run([*as_user, str(bin_dir / "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(folder, ignore_errors=True)
