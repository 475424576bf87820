"""Real artifact stores for tests: an OpenSSH sshd and a moto S3 server on loopback ports.

Each destination comes with a `StoreView` that reads the stored bytes straight from the
store (not through trackyard), so tests can compare what the server wrote byte for byte and
check that nothing outside the artifact root changed.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .servers import free_port

SSHD = "/usr/sbin/sshd"
S3_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "trackyard-test",
    "AWS_SECRET_ACCESS_KEY": "trackyard-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "trackyard-test", "-f", str(path)],
        check=True,
    )


class Sshd:
    """A non-daemon OpenSSH server with its own host key, config and authorized_keys.

    It logs in the current user with a generated client key and serves SFTP in-process
    (internal-sftp). `restart()` kills it with all its session processes, as a container
    restart would, and starts it again on the same port with the same host key.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.user = getpass.getuser()
        self.host_key = workdir / "host_ed25519"
        self.client_key = workdir / "client_ed25519"
        _keygen(self.host_key)
        _keygen(self.client_key)
        shutil.copy(self.client_key.with_suffix(".pub"), workdir / "authorized_keys")
        self.known_hosts = workdir / "known_hosts"
        host_pub = self.host_key.with_suffix(".pub").read_text().split()
        self.known_hosts.write_text(f"[127.0.0.1]:{self.port} {host_pub[0]} {host_pub[1]}\n")
        self.config = workdir / "sshd_config"
        self.config.write_text(self._config())
        self.log_path = workdir / "sshd.log"
        self.process: subprocess.Popen | None = None

    def _config(self) -> str:
        return "\n".join([
            f"Port {self.port}",
            "ListenAddress 127.0.0.1",
            f"HostKey {self.host_key}",
            f"PidFile {self.workdir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.workdir / 'authorized_keys'}",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "PermitRootLogin prohibit-password",
            "StrictModes no",
            "UsePAM no",
            "Subsystem sftp internal-sftp",
            "LogLevel INFO",
            "",
        ])  # fmt: skip

    def start(self) -> None:
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privilege-separation dir
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                [SSHD, "-D", "-e", "-f", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        self._wait_for_banner()

    def _wait_for_banner(self, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"sshd exited:\n{self.log_path.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"SSH-"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"sshd did not answer:\n{self.log_path.read_text()}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        # Session processes are in the same process group; make sure none survives.
        if self.process:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def restart(self) -> None:
        self.stop()
        self.start()

    def uri(self, remote_root: Path) -> str:
        return f"sftp://{self.user}@127.0.0.1:{self.port}{remote_root}"

    def server_args(self, remote_root: Path) -> list[str]:
        return [
            "--artifacts-destination", self.uri(remote_root),
            "--sftp-key-file", str(self.client_key),
            "--sftp-known-hosts", str(self.known_hosts),
        ]  # fmt: skip


class MotoS3:
    """moto's S3 API in a thread of the test process, on a free loopback port."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop()

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=S3_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=S3_CREDENTIALS["AWS_DEFAULT_REGION"],
        )


@dataclass
class FolderView:
    """A destination whose root is a folder on this machine (local, or the sshd's disk)."""

    root: Path

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def stored_keys(self) -> set[str]:
        return {p.relative_to(self.root).as_posix() for p in self.root.rglob("*") if p.is_file()}


@dataclass
class BucketView:
    """A destination at s3://bucket/prefix, read with the test's own boto3 client."""

    client: object
    bucket: str
    prefix: str

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=f"{self.prefix}/{key}")["Body"].read()

    def stored_keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{self.prefix}/"
        )
        start = len(self.prefix) + 1
        return {item["Key"][start:] for page in pages for item in page.get("Contents", [])}

    def outside(self) -> dict[str, str]:
        """Every object outside the prefix, with its ETag: what must never change."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {
            item["Key"]: item["ETag"]
            for page in pages
            for item in page.get("Contents", [])
            if not item["Key"].startswith(f"{self.prefix}/")
        }
