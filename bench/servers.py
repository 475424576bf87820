"""Start, probe and stop the servers under test.

Each server runs in its own session (process group) with a fresh data directory, so one
``killpg`` removes it together with every worker it forked, whatever the harness is doing
when it has to stop.
"""

from __future__ import annotations

import compileall
import contextlib
import http.client
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
MLFLOW_VENV = BENCH_DIR / ".venv-mlflow"
MLFLOW_VERSION = "3.17.2"
PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_URI_PREFIX = "postgresql://postgres@127.0.0.1:5432/"

PIP_TIMEOUT_S = 1800
STARTUP_TIMEOUT_S = 180
HEALTH_POLL_S = 0.010
STOP_GRACE_S = 10
# Idle: under 5 % of a core over 2 s (mlflow server's job runner alone uses ~2 %).
IDLE_SHARE = 0.05
IDLE_WINDOW_S = 2.0
IDLE_LIMIT_S = 120


class ServerError(RuntimeError):
    """A server failed to start or died; the message carries its log tail."""


# --- the reference server's virtual environment -------------------------------------------


def dist_version(python: Path, dist: str) -> str | None:
    """Installed version of ``dist`` in the environment of ``python`` (None if absent)."""
    code = (
        "import importlib.metadata as m, sys\n"
        "try: print(m.version(sys.argv[1]))\n"
        "except m.PackageNotFoundError: pass\n"
    )
    out = subprocess.run(
        [str(python), "-c", code, dist], capture_output=True, text=True, timeout=120, check=True
    )
    return out.stdout.strip() or None


def pip_install(python: Path, *requirements: str) -> None:
    """Install into the reference venv; pip's own output shows progress of the slow part."""
    print(f"[bench] pip install {' '.join(requirements)} into {MLFLOW_VENV}", flush=True)
    cmd = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*cmd, *requirements], timeout=PIP_TIMEOUT_S, check=True)


def ensure_mlflow_venv(backend: str) -> Path:
    """Create or update bench/.venv-mlflow so that it runs mlflow==MLFLOW_VERSION.

    The reference server gets its own environment so that it runs exactly as a user's
    ``pip install mlflow`` would, untouched by the project's dependencies.
    """
    python = MLFLOW_VENV / "bin" / "python"
    if not python.exists():
        print(f"[bench] creating {MLFLOW_VENV} (one-off, takes a few minutes)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(MLFLOW_VENV)], timeout=300, check=True)
    if dist_version(python, "mlflow") != MLFLOW_VERSION:
        pip_install(python, f"mlflow=={MLFLOW_VERSION}")
    # SQLAlchemy >= 2.1 maps postgresql:// to psycopg 3 (older versions: psycopg2).
    if backend == "postgresql" and dist_version(python, "psycopg") is None:
        pip_install(python, "psycopg[binary]")
    return python


# --- backing stores -----------------------------------------------------------------------


def create_pg_database(name: str) -> None:
    """Create an empty database on the local PostgreSQL (autocommit: DDL outside a txn)."""
    import psycopg  # project venv dependency; only needed for --backend postgresql

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def settle_store(uri: str) -> None:
    """After bulk seeding, give PostgreSQL the table statistics autovacuum would gather.

    A live database has them; one seconds old does not, and its planner then guesses. The
    same ANALYZE runs for both servers, so neither is measured in that transient state.
    """
    if not uri.startswith(PG_URI_PREFIX):
        return
    import psycopg

    with psycopg.connect(uri, autocommit=True) as conn:
        conn.execute("ANALYZE")


def store_bytes(uri: str) -> int:
    """The size on disk of a server's database, measured the same way for both servers.

    SQLite: ``page_count * page_size``, i.e. the .db file once the WAL is checkpointed, read
    on a read-only connection (the server's own checkpoints stay untouched). PostgreSQL:
    ``pg_database_size`` after a plain VACUUM (what autovacuum leaves: visibility and
    free-space maps, hint bits), so both servers are measured in the same settled state.
    """
    if uri.startswith(PG_URI_PREFIX):
        import psycopg

        with psycopg.connect(uri, autocommit=True) as conn:
            conn.execute("VACUUM")
            row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
        assert row is not None
        return int(row[0])
    path = uri.removeprefix("sqlite:///")
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    return int(pages) * int(page_size)


def drop_pg_database(name: str) -> None:
    """Drop a benchmark database; FORCE ends connections a killed server may have left."""
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- processes ----------------------------------------------------------------------------


def free_port() -> int:
    """A loopback port that was free a moment ago (the server binds it right after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _parent_pids() -> dict[int, int]:
    """pid -> ppid for every process we can see, read from /proc/<pid>/stat."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may itself contain ") ", so split at the last.
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry)] = int(fields[1])
    return parents


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (server CLI, uvicorn supervisor, workers...)."""
    children: dict[int, list[int]] = {}
    for pid, ppid in _parent_pids().items():
        children.setdefault(ppid, []).append(pid)
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ticks(pid: int) -> int:
    """utime + stime of one process in clock ticks (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def vm_rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it is gone or is a kernel thread)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class Server:
    """One server under test: its command, data directory, process and log."""

    name: str
    argv: list[str]
    port: int
    data_dir: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes] | None = None
    startup_s: float = 0.0
    cleanups: list[Callable[[], None]] = field(default_factory=list)
    store_uri: str = ""
    startup_timeout_s: float = STARTUP_TIMEOUT_S

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "server.log"

    def start(self) -> float:
        """Spawn the server and wait for /health; returns spawn -> first 200, in seconds."""
        with self.log_path.open("wb") as log:
            t0 = time.perf_counter()
            self.proc = subprocess.Popen(
                self.argv,
                cwd=self.data_dir,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.startup_s = self._wait_healthy(t0)
        return self.startup_s

    def _wait_healthy(self, t0: float) -> float:
        """Poll GET /health every 10 ms until it answers 200."""
        deadline = t0 + self.startup_timeout_s
        while time.perf_counter() < deadline:
            self.check_alive()
            if health_ok(self.port):
                return time.perf_counter() - t0
            time.sleep(HEALTH_POLL_S)
        msg = f"{self.name}: no 200 from {self.base_url}/health within {self.startup_timeout_s}s"
        raise ServerError(f"{msg}\n{self.log_tail()}")

    def check_alive(self) -> None:
        """Raise with the log tail if the server process has exited."""
        if self.proc is None or self.proc.poll() is not None:
            code = None if self.proc is None else self.proc.returncode
            raise ServerError(f"{self.name} exited (code {code})\n{self.log_tail()}")

    def rss_mib(self) -> float:
        """Resident memory of the whole process tree (sum of VmRSS), MiB."""
        assert self.proc is not None
        return sum(vm_rss_kib(pid) for pid in process_tree(self.proc.pid)) / 1024

    def cpu_seconds(self) -> float:
        """User + system CPU of the whole process tree so far, from /proc: unlike a time
        on the clock, it barely moves when other work shares the machine."""
        assert self.proc is not None
        return sum(cpu_ticks(pid) for pid in process_tree(self.proc.pid)) / CLOCK_TICKS

    def wait_idle(self) -> float:
        """Wait until the process tree is idle (under IDLE_SHARE of a core over IDLE_WINDOW_S,
        at most IDLE_LIMIT_S); returns the seconds waited. mlflow server keeps a core busy
        for half a minute after its first 200 (workers and job consumers importing), which
        would otherwise be charged to whatever runs next, on either server."""
        started = time.perf_counter()
        while time.perf_counter() - started < IDLE_LIMIT_S:
            before = self.cpu_seconds()
            time.sleep(IDLE_WINDOW_S)
            self.check_alive()
            if self.cpu_seconds() - before < IDLE_SHARE * IDLE_WINDOW_S:
                break
        return time.perf_counter() - started

    def log_tail(self, lines: int = 40) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()
        except OSError:
            return "(no server log)"
        return "\n".join(f"    | {line}" for line in text[-lines:])

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL what is left after a grace period.

        The SIGKILL is in ``finally`` so that an interrupt during the grace period (Ctrl-C,
        the time limit) cannot leave the server running.
        """
        if self.proc is None:
            return
        proc, self.proc = self.proc, None
        tree = process_tree(proc.pid)
        try:
            _signal_group(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=STOP_GRACE_S)
        finally:
            _signal_group(proc.pid, signal.SIGKILL)
            for pid in tree:  # stragglers that left the group (none expected)
                _kill_quietly(pid)
        proc.wait(timeout=STOP_GRACE_S)

    def close(self) -> None:
        """Stop the server, then drop its database/directory (reverse order of creation)."""
        try:
            self.stop()
        finally:
            while self.cleanups:
                self.cleanups.pop()()


def health_ok(port: int) -> bool:
    """One GET /health on a fresh connection (http.client: no per-poll client set-up cost)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2.0)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _kill_quietly(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


# --- the two servers ----------------------------------------------------------------------


def _store_uri(name: str, backend: str, data_dir: Path, cleanups: list[Callable[[], None]]) -> str:
    """Backend store URI for a fresh, empty store private to this server."""
    if backend == "sqlite":
        return f"sqlite:///{data_dir}/{name}.db"
    db = f"bench_{name}_{os.getpid()}"
    create_pg_database(db)
    cleanups.append(lambda: drop_pg_database(db))
    return PG_URI_PREFIX + db


def fresh_dir(name: str, cleanups: list[Callable[[], None]], keep: bool) -> Path:
    data_dir = Path(tempfile.mkdtemp(prefix=f"bench-{name}-"))
    if not keep:
        cleanups.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
    return data_dir


def make_server(
    name: str, backend: str, mlflow_python: Path | None, mlflow_workers: int | None, keep: bool
) -> Server:
    """Build (not start) the server ``name`` ("trackyard" or "mlflow") on ``backend``."""
    cleanups: list[Callable[[], None]] = []
    data_dir = fresh_dir(name, cleanups, keep)
    try:
        uri = _store_uri(name, backend, data_dir, cleanups)
    except BaseException:
        for cleanup in reversed(cleanups):
            cleanup()
        raise
    port = free_port()
    argv, env = server_command(name, port, uri, data_dir, mlflow_python, mlflow_workers)
    return Server(name, argv, port, data_dir, env, cleanups=cleanups, store_uri=uri)


def server_command(
    name: str,
    port: int,
    uri: str,
    data_dir: Path,
    mlflow_python: Path | None,
    mlflow_workers: int | None,
) -> tuple[list[str], dict[str, str]]:
    """Command line and environment of server ``name`` ("trackyard" or "mlflow") on ``uri``."""
    common = ["--host", "127.0.0.1", "--port", str(port), "--backend-store-uri", uri]
    common += ["--artifacts-destination", str(data_dir / "artifacts")]
    env = dict(os.environ)
    if name == "mlflow":
        assert mlflow_python is not None
        argv = [str(mlflow_python.parent / "mlflow"), "server", *common]
        if mlflow_workers is not None:
            argv += ["--workers", str(mlflow_workers)]
    else:
        argv = [sys.executable, "-m", "trackyard", "server", *common]
        # Runs from the checkout whether or not trackyard is pip-installed in the venv, compiled
        # to bytecode first as pip does at install (mlflow's venv has its bytecode): where
        # PYTHONDONTWRITEBYTECODE is set, every start would otherwise compile the source.
        compileall.compile_dir(REPO_ROOT / "trackyard", quiet=1)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return argv, env
