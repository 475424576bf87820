"""The one gate every artifact path passes before it reaches a destination.

Artifact paths come from URLs, query strings, JSON bodies and stored run URIs; all of them
go through `clean_path`, which either returns a canonical relative path ("" is the root) or
raises INVALID_PARAMETER_VALUE. Checks run on the fully percent-decoded text (so double
encodings cannot hide a `..`) and on its NFKC form (so look-alike characters cannot either).
Destinations call it again on entry, so a path that skipped a route still cannot escape.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit
from urllib.request import url2pathname

from ..errors import invalid

# Reserved top-level folder in every destination: temporary files of uploads in progress
# and staged multipart parts. Never listed, never addressable by clients.
RESERVED_DIR = ".trackyard"
# NAME_MAX and PATH_MAX of Linux file systems, in UTF-8 bytes. A longer name could be stored by
# no folder or SFTP destination; destinations check the whole path again with their own root.
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 4096
_MAX_RAW_LENGTH = 3 * MAX_PATH_BYTES  # every byte percent-encoded once
PROXY_ROUTE = "/api/2.0/mlflow-artifacts/artifacts"
_MAX_DECODE_ROUNDS = 8
_DRIVE = re.compile(r"^[A-Za-z]:")


def _fully_decoded(raw: str) -> str:
    text = raw
    for _ in range(_MAX_DECODE_ROUNDS):
        try:
            decoded = unquote(text, errors="strict")
        except UnicodeDecodeError:
            raise invalid(f"Invalid artifact path {shown(raw)}: not UTF-8 once decoded") from None
        if decoded == text:
            return text
        text = decoded
    raise invalid(f"Invalid artifact path {shown(raw)}: too many layers of percent-encoding")


def _has_bad_character(text: str) -> bool:
    return any(ch == "\\" or ch == "\ufffd" or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in text)


def shown(raw: str) -> str:
    """`raw` for a message: long paths are cut, so an error never echoes kilobytes."""
    return repr(raw if len(raw) <= 100 else f"{raw[:100]}...")


def _length_problem(text: str) -> str | None:
    """Why `text` is longer than a destination can store, if it is."""
    try:
        encoded = text.encode()
    except UnicodeEncodeError:  # lone surrogates: no file system can name them
        return "not valid UTF-8"
    longest = max(len(segment) for segment in encoded.split(b"/"))
    if longest > MAX_SEGMENT_BYTES:
        return (
            f"a path segment is {longest} bytes long (UTF-8); at most {MAX_SEGMENT_BYTES} "
            "bytes are allowed"
        )
    if len(encoded) > MAX_PATH_BYTES:
        return f"it is {len(encoded)} bytes long (UTF-8); at most {MAX_PATH_BYTES} are allowed"
    return None


# MLflow's answer (validate_path_is_safe) to the paths it refuses too: a `..` segment, an
# absolute path, a backslash, a drive letter, a file: URI. What only we refuse says why.
INVALID_PATH = "Invalid path"


def _mlflow_refuses(text: str) -> bool:
    return (
        "\\" in text
        or text.startswith("/")
        or _DRIVE.match(text) is not None
        or text.lower().startswith("file:")
        or ".." in text.split("/")
    )


def _problem(text: str) -> str | None:
    """Why `text` (decoded, without trailing slashes) is not a safe relative path, if it is not."""
    if _has_bad_character(text):
        return "backslashes and control characters are not allowed"
    if text.startswith("/"):
        return "absolute paths are not allowed"
    if _DRIVE.match(text) or text.lower().startswith("file:"):
        return "drive letters and file: URIs are not allowed"
    segments = text.split("/")
    if any(segment in ("", ".", "..") for segment in segments):
        return "empty, '.' and '..' path segments are not allowed"
    if segments[0] == RESERVED_DIR:
        return f"'{RESERVED_DIR}' is reserved"
    return None


def clean_path(raw: str | None) -> str:
    """Return `raw` as a canonical path relative to an artifact root, or raise a 400."""
    if raw is None or raw == "":
        return ""
    if len(raw) > _MAX_RAW_LENGTH:
        raise invalid(f"Invalid artifact path {shown(raw)}: too long")
    decoded = _fully_decoded(raw)
    text = decoded.rstrip("/") if decoded.strip("/") else decoded
    if text == "":
        return ""
    nfkc = unicodedata.normalize("NFKC", text)
    if _mlflow_refuses(text) or _mlflow_refuses(nfkc):
        raise invalid(INVALID_PATH)
    problem = _problem(text) or _problem(nfkc) or _length_problem(text)
    if problem:
        raise invalid(f"Invalid artifact path {shown(raw)}: {problem}")
    return text


def join(*parts: str) -> str:
    """Join already-clean relative paths, skipping empty ones (the root)."""
    return "/".join(part for part in parts if part)


def file_name(client_path: str) -> str:
    """The last component of a client-side file path, whichever separator its OS uses."""
    return re.split(r"[\\/]", client_path.rstrip("/\\"))[-1]


def redact(uri: str) -> str:
    """`uri` without a password, for messages, logs and stored artifact locations."""
    parts = urlsplit(uri)
    if not parts.password:
        return uri
    host = parts.hostname or ""
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port:
        netloc = f"{netloc}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


def has_scheme(destination: str) -> bool:
    """True for URIs like sftp://... or s3://...; False for local folders (even C:\\ ones)."""
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", destination) is not None


def direct_root(destination: str) -> str:
    """The destination as a URI clients can use themselves (with --no-serve-artifacts)."""
    if has_scheme(destination):
        return redact(destination).rstrip("/")
    return Path(destination).resolve().as_uri()


def destination_path(artifact_uri: str, destination: str) -> str | None:
    """The path inside `destination` that a stored artifact URI names, or None if elsewhere.

    Understands proxied URIs (mlflow-artifacts:/..., http(s)://host/api/2.0/mlflow-artifacts/
    artifacts/...) and direct ones below the destination itself.
    """
    parts = urlsplit(artifact_uri)
    if parts.scheme == "mlflow-artifacts":
        return clean_path(parts.path.lstrip("/"))
    if parts.scheme in ("http", "https") and PROXY_ROUTE in parts.path:
        return clean_path(parts.path.split(PROXY_ROUTE, 1)[1].lstrip("/"))
    if not parts.scheme and not Path(artifact_uri).is_absolute():
        return None
    uri = artifact_uri if parts.scheme else Path(artifact_uri).as_uri()
    root = direct_root(destination)
    if uri.rstrip("/") == root:
        return ""
    if uri.startswith(f"{root}/"):
        return clean_path(uri[len(root) + 1 :])
    return None


def resolve_if_local(uri: str) -> str:
    """A relative local location made absolute against the server's working folder, as
    mlflow server resolves artifact locations: a bare path stays a path, a `file:` URI a
    `file:` URI; anything else is returned as it is."""
    parsed = urlsplit(uri)
    if parsed.scheme not in ("", "file"):
        return uri
    path = Path(url2pathname(parsed.path if parsed.scheme else uri))
    if path.is_absolute():
        return uri
    absolute = Path.cwd().joinpath(path).as_posix()
    if not parsed.scheme:
        return absolute
    return urlunsplit(("file", "", absolute, parsed.query, parsed.fragment))


def local_folder(uri: str) -> str | None:
    """The folder on this machine an absolute local location names (a path or a `file:` URI
    without a remote host), or None."""
    parsed = urlsplit(uri)
    if parsed.scheme == "file" and parsed.netloc in ("", "localhost"):
        folder = url2pathname(parsed.path)
    elif not parsed.scheme and uri:
        folder = uri
    else:
        return None
    return folder if Path(folder).is_absolute() else None
