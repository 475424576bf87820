"""Artifacts on an SFTP server (`sftp://user[:password]@host[:port]/path`), via paramiko.

Connections come from a small pool. Every checkout probes the session first, so a session
that died while idle (the SFTP server restarted, a firewall dropped it) is replaced before a
request uses it, instead of failing that request. Host keys are checked against known_hosts
unless the operator explicitly opts out.
"""

from __future__ import annotations

import logging
import os
import posixpath
import stat as stat_mode
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import paramiko

from ..errors import ApiError, invalid
from . import paths
from .base import CHUNK_SIZE, FileEntry
from .tree import FileSystem, Stat, TreeRepository, within_path_max

logger = logging.getLogger("trackyard.artifacts.sftp")
DEFAULT_POOL_SIZE = 8
CONNECT_TIMEOUT = 15.0


@dataclass(frozen=True)
class SftpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    root: str
    key_file: str | None = None
    known_hosts: str | None = None
    insecure_skip_host_key_check: bool = False
    pool_size: int = DEFAULT_POOL_SIZE

    @classmethod
    def from_uri(cls, uri: str, **options) -> SftpSettings:
        parts = urlsplit(uri)
        if parts.scheme != "sftp" or not parts.hostname:
            raise ValueError(f"Not an sftp://user@host[:port]/path URI: {paths.redact(uri)}")
        return cls(
            host=parts.hostname,
            port=parts.port or 22,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            root=unquote(parts.path).rstrip("/") or ".",
            **options,
        )


class SftpFileSystem(FileSystem):
    """One SFTP session; `root` is the server's canonical (symlink-free) path of the root."""

    def __init__(self, sftp: paramiko.SFTPClient, root: str) -> None:
        self.sftp, self.root = sftp, root

    def _inside(self, real: str) -> bool:
        return real == self.root or real.startswith(self.root.rstrip("/") + "/")

    def _real(self, full: str) -> str:
        """The server's canonical path of the deepest existing ancestor of `full`."""
        probe = full
        while True:
            try:
                return self.sftp.normalize(probe)
            except OSError:
                if probe == self.root:
                    raise
                probe = posixpath.dirname(probe)

    def resolve(self, key: str) -> str:
        full = within_path_max(posixpath.join(self.root, key) if key else self.root, key)
        if not self._inside(self._real(full)):
            raise invalid(f"Invalid artifact path '{key}': it leads outside the artifact root")
        return full

    def parent(self, full: str) -> str:
        return posixpath.dirname(full)

    def stat(self, full: str) -> Stat | None:
        try:
            attrs = self.sftp.stat(full)
        except FileNotFoundError:
            return None
        is_dir = stat_mode.S_ISDIR(attrs.st_mode or 0)
        return Stat(is_dir, 0 if is_dir else attrs.st_size or 0)

    def scandir(self, full: str) -> list[FileEntry]:
        entries = []
        for attrs in self.sftp.listdir_attr(full):
            mode = attrs.st_mode or 0
            if stat_mode.S_ISLNK(mode):
                child = posixpath.join(full, attrs.filename)
                try:
                    if not self._inside(self.sftp.normalize(child)):
                        continue
                    attrs.st_mode, attrs.st_size = self._followed(child)
                    mode = attrs.st_mode
                except OSError:  # dangling
                    continue
            is_dir = stat_mode.S_ISDIR(mode)
            entries.append(FileEntry(attrs.filename, is_dir, None if is_dir else attrs.st_size))
        return entries

    def _followed(self, full: str) -> tuple[int, int]:
        attrs = self.sftp.stat(full)
        return attrs.st_mode or 0, attrs.st_size or 0

    def read(self, full: str, start: int, end: int) -> Iterator[bytes]:
        with self.sftp.open(full, "rb") as file:
            offset = start
            while offset < end:
                # readv pipelines the 32 KiB SFTP requests of one window: fast, and bounded.
                length = min(CHUNK_SIZE, end - offset)
                data = b"".join(file.readv([(offset, length)]))
                if not data:
                    return
                offset += len(data)
                yield data

    def write(self, full: str, chunks: Iterable[bytes]) -> int:
        size = 0
        with self.sftp.open(full, "wb") as file:
            file.set_pipelined(True)
            for chunk in chunks:
                file.write(chunk)
                size += len(chunk)
        return size

    def makedirs(self, full: str) -> None:
        relative = posixpath.relpath(full, self.root)
        current = self.root
        for name in [] if relative == "." else relative.split("/"):
            current = posixpath.join(current, name)
            found = self.stat(current)
            if found is None:
                try:
                    self.sftp.mkdir(current)
                except OSError:  # fine if another request created it meanwhile
                    again = self.stat(current)
                    if again is None or not again.is_dir:
                        raise
            elif not found.is_dir:
                raise NotADirectoryError(current)

    def replace(self, source: str, target: str) -> None:
        try:
            self.sftp.posix_rename(source, target)
        except OSError:  # servers without the posix-rename extension
            if self.stat(target) is not None:
                self.sftp.remove(target)
            self.sftp.rename(source, target)

    def remove(self, full: str) -> None:
        self.sftp.remove(full)

    @contextmanager
    def companion(self) -> Iterator[SftpFileSystem]:
        channel = paramiko.SFTPClient.from_transport(self.sftp.get_channel().get_transport())
        if channel is None:
            raise OSError("could not open a second SFTP channel")
        try:
            yield SftpFileSystem(channel, self.root)
        finally:
            channel.close()

    def rmtree(self, full: str) -> int:
        count = 0
        for attrs in self.sftp.listdir_attr(full):  # lstat: symlinks are removed, not followed
            child = posixpath.join(full, attrs.filename)
            if stat_mode.S_ISDIR(attrs.st_mode or 0):
                count += self.rmtree(child)
            else:
                self.sftp.remove(child)
                count += 1
        self.sftp.rmdir(full)
        return count


class _Connection:
    def __init__(self, settings: SftpSettings) -> None:
        self.client = _ssh_client(settings)
        try:
            self.client.connect(
                settings.host,
                port=settings.port,
                username=settings.username,
                password=settings.password,
                key_filename=settings.key_file,
                look_for_keys=settings.key_file is None and settings.password is None,
                timeout=CONNECT_TIMEOUT,
                banner_timeout=CONNECT_TIMEOUT,
                auth_timeout=CONNECT_TIMEOUT,
            )
            sftp = self.client.open_sftp()
            sftp.get_channel().settimeout(CONNECT_TIMEOUT * 4)
            root = _ensure_root(sftp, settings.root)
            self.fs = SftpFileSystem(sftp, root)
        except BaseException:
            self.client.close()
            raise

    def alive(self) -> bool:
        transport = self.client.get_transport()
        if transport is None or not transport.is_active():
            return False
        try:
            self.fs.sftp.stat(self.fs.root)
            return True
        except (OSError, EOFError, paramiko.SSHException):
            return False

    def close(self) -> None:
        with suppress(Exception):  # already broken: nothing left to release
            self.client.close()


def _ssh_client(settings: SftpSettings) -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    if settings.insecure_skip_host_key_check:
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        return client
    client.load_system_host_keys()  # ~/.ssh/known_hosts of the server's user
    if settings.known_hosts:
        client.get_host_keys().load(os.path.expanduser(settings.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    return client


def _ensure_root(sftp: paramiko.SFTPClient, root: str) -> str:
    current = "/" if root.startswith("/") else ""
    for name in root.strip("/").split("/"):
        current = posixpath.join(current, name) if current else name
        try:
            sftp.stat(current)
        except FileNotFoundError:
            sftp.mkdir(current)
    return sftp.normalize(root)


class SftpPool:
    """At most `size` sessions, reused; dead ones are dropped on checkout or after a failure."""

    def __init__(self, settings: SftpSettings) -> None:
        self.settings = settings
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self._slots = threading.BoundedSemaphore(settings.pool_size)

    @contextmanager
    def session(self) -> Iterator[SftpFileSystem]:
        self._slots.acquire()
        try:
            connection = self._checkout()
            try:
                yield connection.fs
            except BaseException as error:
                if not connection.alive():
                    connection.close()
                    if not isinstance(error, ApiError):
                        raise self._unavailable(error) from error
                    raise
                self._checkin(connection)
                raise
            self._checkin(connection)
        finally:
            self._slots.release()

    def _checkout(self) -> _Connection:
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                return self._connect()
            if connection.alive():
                return connection
            logger.info("Dropping a dead SFTP session to %s", self.settings.host)
            connection.close()

    def _connect(self) -> _Connection:
        try:
            return _Connection(self.settings)
        except paramiko.BadHostKeyException as error:
            raise _misconfigured(f"host key of {error.hostname} differs from known_hosts") from None
        except paramiko.AuthenticationException as error:
            raise _misconfigured(f"authentication failed ({error})") from None
        except paramiko.SSHException as error:
            if "known_hosts" in str(error):
                raise _misconfigured(f"{error} (see --sftp-known-hosts)") from None
            raise self._unavailable(error) from None
        except (OSError, EOFError) as error:
            raise self._unavailable(error) from None

    def _checkin(self, connection: _Connection) -> None:
        with self._lock:
            self._idle.append(connection)

    def _unavailable(self, error: BaseException) -> ApiError:
        where = f"{self.settings.host}:{self.settings.port}"
        return ApiError(
            f"SFTP artifact store {where} is unavailable: {type(error).__name__}: {error}",
            "TEMPORARILY_UNAVAILABLE",
        )

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _misconfigured(reason: str) -> ApiError:
    logger.error("SFTP artifact store refused: %s", reason)
    return ApiError(f"SFTP artifact store refused the connection: {reason}", "INTERNAL_ERROR")


class SftpArtifactRepository(TreeRepository):
    def __init__(self, settings: SftpSettings) -> None:
        self.pool = SftpPool(settings)
        user = f"{settings.username}@" if settings.username else ""
        root = "" if settings.root == "." else "/" + settings.root.lstrip("/")
        self.uri = f"sftp://{user}{settings.host}:{settings.port}{root}"

    def session(self):
        return self.pool.session()

    def close(self) -> None:
        self.pool.close()
