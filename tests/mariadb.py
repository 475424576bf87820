"""A real MariaDB server for the tests (Debian's mariadb-server, which scripts/test installs):
its own data folder made by mariadb-install-db, on a free loopback port, started once per
session and removed afterwards. Run as root, the server drops to Debian's `mysql` user."""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .servers import free_port

MARIADBD = "/usr/sbin/mariadbd"
INSTALL_DB = "/usr/bin/mariadb-install-db"
USER, PASSWORD = "trackyard", "trackyard"


def _server_user() -> str:
    """Who the server runs as: never root where Debian's `mysql` user exists."""
    if os.geteuid() == 0:
        with contextlib.suppress(KeyError):
            return pwd.getpwnam("mysql").pw_name
        return "root"
    return getpass.getuser()


class MariaDB:
    """mariadbd with a data folder of its own and one account, trackyard@127.0.0.1, that
    may create and drop databases."""

    def __init__(self) -> None:
        # Not under pytest's temporary folders: they are private to the test's user, and the
        # server runs as another. In memory where there is a tmpfs: MLflow's migrations are
        # ~100 DDL statements, each synced to disk several times.
        memory = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None
        self.folder = Path(tempfile.mkdtemp(prefix="trackyard-mariadb-", dir=memory))
        self.user = _server_user()
        shutil.chown(self.folder, self.user)
        self.port = free_port()
        self.log_path = self.folder / "error.log"
        self.process: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"mysql+pymysql://{USER}:{PASSWORD}@127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        data = self.folder / "data"
        subprocess.run(
            [INSTALL_DB, "--no-defaults", f"--datadir={data}", f"--user={self.user}",
             "--skip-test-db", "--auth-root-authentication-method=socket"],
            check=True, capture_output=True, timeout=timeout,
        )  # fmt: skip
        init = self.folder / "init.sql"
        init.write_text(
            f"CREATE USER IF NOT EXISTS '{USER}'@'127.0.0.1' IDENTIFIED BY '{PASSWORD}';\n"
            f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'127.0.0.1';\n"
        )
        shutil.chown(init, self.user)
        self.process = subprocess.Popen(
            [MARIADBD, "--no-defaults", f"--datadir={data}", f"--user={self.user}",
             f"--port={self.port}", "--bind-address=127.0.0.1",
             f"--socket={self.folder / 'mysqld.sock'}", f"--pid-file={self.folder / 'mysqld.pid'}",
             f"--init-file={init}", f"--log-error={self.log_path}", "--skip-name-resolve",
             "--skip-log-bin", "--innodb-buffer-pool-size=32M",
             # A test database: nothing needs to survive a crash.
             "--innodb-flush-log-at-trx-commit=0", "--skip-innodb-doublewrite",
             "--sync-binlog=0"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        self._wait(timeout)

    def _wait(self, timeout: float) -> None:
        """Until the account answers (the init file runs before the server takes clients)."""
        import pymysql

        deadline = time.monotonic() + timeout
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd exited:\n{self._log()}")
            try:
                self.connect().close()
                return
            except pymysql.err.OperationalError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"mariadbd did not answer:\n{self._log()}") from None
                time.sleep(0.1)

    def _log(self) -> str:
        return self.log_path.read_text()[-3000:] if self.log_path.exists() else ""

    def connect(self):
        import pymysql

        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user=USER,
            password=PASSWORD,
            autocommit=True,
            connect_timeout=3,
        )

    @contextmanager
    def database(self) -> Iterator[str]:
        """A fresh database, dropped afterwards; yields its URI."""
        name = f"trackyard_import_{uuid.uuid4().hex[:10]}"
        admin = self.connect()
        try:
            admin.cursor().execute(f"CREATE DATABASE {name}")
            yield f"{self.uri}/{name}"
        finally:
            admin.cursor().execute(f"DROP DATABASE IF EXISTS {name}")
            admin.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


def _require_mariadb() -> None:
    if Path(MARIADBD).exists() and Path(INSTALL_DB).exists():
        return
    message = f"{MARIADBD} is missing (scripts/test installs mariadb-server)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def mariadb() -> Iterator[MariaDB]:
    _require_mariadb()
    server = MariaDB()
    try:
        server.start()
        yield server
    finally:
        server.stop()
