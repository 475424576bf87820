"""`trackyard up` as a real process for tests, and the example notebooks run headless."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from .servers import free_port

START_TIMEOUT = 180.0
BANNER_END = "Press Ctrl-C to stop."


@dataclass
class Workspace:
    """A running `trackyard up`: its process, the banner it printed, and its children's pids."""

    process: subprocess.Popen
    banner: dict[str, str]
    notebooks_dir: Path
    log_path: Path
    output: list[str] = field(default_factory=list)

    @property
    def tracking_uri(self) -> str:
        return self.banner["Tracking server"]

    @property
    def jupyter_url(self) -> str:
        return self.banner["JupyterLab"].split("/lab?")[0]

    @property
    def token(self) -> str:
        return self.banner["Jupyter token"]

    def children(self) -> list[int]:
        """Pids of the processes `trackyard up` started (Linux: from /proc)."""
        return process_children(self.process.pid)

    def log(self) -> str:
        return "\n".join(self.output) + "\n" + self.log_path.read_text(errors="replace")

    def kill(self) -> None:
        """Clean-up after a failed test: kill what this workspace started, by pid."""
        for pid in [*self.children(), self.process.pid]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        self.process.wait(timeout=30)


def process_children(pid: int) -> list[int]:
    children = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(child) for child in (task / "children").read_text().split()]
    return children


def process_environment(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (entry.split(b"=", 1) for entry in raw.split(b"\0") if b"=" in entry)
    return {key.decode(): value.decode(errors="replace") for key, value in pairs}


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def parse_banner(lines: list[str]) -> dict[str, str]:
    """`  Name:   value` lines of the banner, as a dict."""
    banner = {}
    for line in lines:
        name, sep, value = line.strip().partition(":")
        if sep and line.startswith("  ") and not name.startswith("Kernels"):
            banner[name] = value.strip()
    return banner


def read_lines(stream, lines: queue.Queue) -> None:
    for line in iter(stream.readline, ""):
        lines.put(line.rstrip("\n"))
    lines.put(None)


def up_command(notebooks_dir: Path, *args: str) -> list[str]:
    command = [
        sys.executable, "-m", "trackyard", "up",
        "--host", "127.0.0.1",
        "--port", str(free_port()),
        "--jupyter-port", str(free_port()),
        "--notebooks-dir", str(notebooks_dir),
        *args,
    ]  # fmt: skip
    if os.geteuid() == 0:  # CI containers run as root; JupyterLab refuses that unless told
        command.append("--allow-root")
    return command


def start_up(work_dir: Path, *args: str) -> Workspace:
    """Run `trackyard up` in `work_dir` and wait for its banner (both services answer then)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    notebooks_dir = work_dir / "notebooks"
    log_path = work_dir / "up.log"
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            up_command(notebooks_dir, *args),
            cwd=work_dir,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,
        )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=read_lines, args=(process.stdout, lines), daemon=True).start()
    workspace = Workspace(process, {}, notebooks_dir, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            raise RuntimeError(f"trackyard up exited early:\n{workspace.log()}")
        workspace.output.append(line)
        if line == BANNER_END:
            workspace.banner = parse_banner(workspace.output)
            return workspace
    workspace.kill()
    raise RuntimeError(f"trackyard up did not print its banner:\n{workspace.log()}")


def stop_up(workspace: Workspace, sig: int, timeout: float = 60) -> int:
    """Send `sig` to `trackyard up` alone, as a terminal's Ctrl-C does; its exit status."""
    os.kill(workspace.process.pid, sig)
    return workspace.process.wait(timeout=timeout)


def execute_notebook(path: Path, tracking_uri: str, timeout: int = 600):
    """Run a notebook in a fresh kernel whose environment has `tracking_uri`; the result."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute(env={**os.environ, "MLFLOW_TRACKING_URI": tracking_uri})
    return notebook
