"""The path gate and the Range parser, as plain functions."""

from __future__ import annotations

import pytest

from trackyard.artifacts.paths import clean_path, destination_path, file_name, redact
from trackyard.artifacts.ranges import RangeNotSatisfiable, byte_range
from trackyard.errors import ApiError


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, ""),
        ("", ""),
        ("a", "a"),
        ("a/b/c.txt", "a/b/c.txt"),
        ("a/b/", "a/b"),
        ("1/abc/artifacts/model/MLmodel", "1/abc/artifacts/model/MLmodel"),
        ("caf%C3%A9.txt", "caf\u00e9.txt"),
        ("50%.txt", "50%.txt"),
        ("..a/b..", "..a/b.."),
        ("...", "..."),
        ("ab:c", "ab:c"),
        ("x/c:/y", "x/c:/y"),
        ("has space.txt", "has space.txt"),
        ("a" * 255, "a" * 255),
        ("\u00e9" * 127 + "a", "\u00e9" * 127 + "a"),
        ("/".join(["a" * 255] * 16), "/".join(["a" * 255] * 16)),
    ],
    ids=lambda value: value if value is None or len(value) < 40 else f"{len(value)} chars",
)
def test_safe_paths_pass(raw, clean):
    assert clean_path(raw) == clean


@pytest.mark.parametrize(
    "raw",
    [
        "..", "../x", "a/../../x", "/abs", "//abs", "a//b", "./a", "a/.", "%2e%2e/x",
        "%252e%252e/x", "%25252525252525252e", "a\\b", "a\x00b", "a\nb", "C:/x", "c:x",
        "file:///etc", "\uff0e\uff0e/x", "%c0%ae%c0%ae", ".trackyard/x", "/", "x" * 5000,
        "a" * 256, "x/" + "\u00e9" * 128, "%C3%A9" * 128, "/".join(["a" * 255] * 16) + "/ab",
        "\udcff", "a/\ud800",
    ],
    ids=lambda value: value if len(value) < 40 else f"{len(value)} chars",
)  # fmt: skip
def test_unsafe_paths_are_400(raw):
    with pytest.raises(ApiError) as error:
        clean_path(raw)
    assert error.value.status == 400
    assert error.value.error_code == "INVALID_PARAMETER_VALUE"


def test_a_segment_over_255_bytes_is_refused_saying_so():
    with pytest.raises(ApiError) as error:
        clean_path("1/run/artifacts/" + "\u00e9" * 100 + "a" * 56 + "/model.pkl")
    assert "segment is 256 bytes long (UTF-8); at most 255 bytes are allowed" in error.value.message


def test_client_file_names_from_any_os():
    assert file_name("/home/me/model.bin") == "model.bin"
    assert file_name("C:\\Users\\me\\model.bin") == "model.bin"
    assert file_name("model.bin") == "model.bin"


def test_passwords_never_leave_the_server():
    assert redact("sftp://user:s3cret@host:2222/data") == "sftp://user@host:2222/data"
    assert redact("sftp://user@host/data") == "sftp://user@host/data"
    assert redact("s3://bucket/prefix") == "s3://bucket/prefix"


def test_artifact_uris_map_into_the_destination(tmp_path):
    local = str(tmp_path / "artifacts")
    assert destination_path("mlflow-artifacts:/1/r/artifacts", local) == "1/r/artifacts"
    assert destination_path("mlflow-artifacts://host:5000/1/r", local) == "1/r"
    http = "https://host/prefix/api/2.0/mlflow-artifacts/artifacts/2/r/artifacts"
    assert destination_path(http, local) == "2/r/artifacts"
    direct = (tmp_path / "artifacts").resolve().as_uri()
    assert destination_path(f"{direct}/3/r/artifacts", local) == "3/r/artifacts"
    assert destination_path(str(tmp_path / "artifacts" / "4"), local) == "4"
    assert destination_path("s3://elsewhere/x", local) is None
    assert destination_path(f"{direct}-sibling/1", local) is None
    sftp = "sftp://u:pw@h:22/data"
    assert destination_path("sftp://u@h:22/data/5/r", sftp) == "5/r"
    with pytest.raises(ApiError):
        destination_path("mlflow-artifacts:/1/../../etc", local)


@pytest.mark.parametrize(
    ("header", "span"),
    [
        (None, None),
        ("bytes=0-0", (0, 1)),
        ("bytes=0-", (0, 100)),
        ("bytes=90-200", (90, 100)),
        ("bytes=-10", (90, 100)),
        ("bytes=-1000", (0, 100)),
        ("BYTES = 5 - 6", (5, 7)),
        ("bytes=6-5", None),
        ("bytes=1-2,4-5", None),
        ("lines=1-2", None),
        ("bytes=-", None),
    ],
)
def test_byte_ranges(header, span):
    assert byte_range(header, 100) == span


@pytest.mark.parametrize(
    ("header", "size"), [("bytes=100-", 100), ("bytes=-0", 100), ("bytes=0-", 0)]
)
def test_unsatisfiable_ranges(header, size):
    with pytest.raises(RangeNotSatisfiable):
        byte_range(header, size)
