"""Child processes that start, answer on a URL, and stop as a whole process group.

Each child gets its own session (and so its own process group): a Ctrl-C in the terminal
reaches only the launcher, which then stops the children in order, waits for them, and kills
what is left when they take too long. Killing the group also reaches grandchildren, such as
uvicorn's workers.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass


class StartupError(RuntimeError):
    """A child exited or did not answer while the workspace was starting."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen
    ready_url: str

    def running(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        """Signal the child's whole process group; it may already be gone."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)


def spawn(name: str, command: Sequence[str], env: dict[str, str], ready_url: str) -> Child:
    """Start a command in a new session, inheriting our output but not our terminal input."""
    process = subprocess.Popen(
        list(command), env=env, stdin=subprocess.DEVNULL, start_new_session=True
    )
    return Child(name, process, ready_url)


def answers(url: str) -> bool:
    """True when a GET on `url` succeeds: the service is up, not just something on the port."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except (OSError, ValueError):  # HTTPError, connection refused, timeouts
        return False


def wait_ready(children: Sequence[Child], timeout: float, stop: threading.Event) -> None:
    """Wait until every child answers on its URL; fail fast when one exits."""
    pending = list(children)
    deadline = time.monotonic() + timeout
    while pending and not stop.is_set():
        for child in list(pending):
            if not child.running():
                raise StartupError(f"{child.name} exited with code {child.process.returncode}")
            if answers(child.ready_url):
                pending.remove(child)
        if time.monotonic() > deadline:
            names = ", ".join(child.name for child in pending)
            raise StartupError(f"{names} did not answer within {timeout:.0f}s")
        stop.wait(0.2)


def wait_answering(name: str, url: str, timeout: float, stop: threading.Event) -> None:
    """Wait for a service we did not start, such as the server `--tracking-uri` names."""
    deadline = time.monotonic() + timeout
    while not stop.is_set() and not answers(url):
        if time.monotonic() > deadline:
            raise StartupError(f"{name} did not answer at {url} within {timeout:.0f}s")
        stop.wait(0.5)


def stop_all(children: Sequence[Child], timeout: float = 15) -> None:
    """Stop the children one after the other, in the given order.

    Each gets SIGTERM and `timeout` seconds before SIGKILL; its group is killed afterwards in
    any case, for grandchildren left behind. One at a time, so that the server outlives
    JupyterLab: kernels shutting down may still end their mlflow runs (mlflow does so at exit).
    """
    for child in children:
        if child.running():
            child.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.process.wait(timeout=timeout)
        child.signal_group(signal.SIGKILL)
        if child.running():
            child.process.wait()


def first_exited(children: Sequence[Child]) -> Child | None:
    return next((child for child in children if not child.running()), None)
