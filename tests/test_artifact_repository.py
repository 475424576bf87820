"""The repository interface itself, on a local folder (no server in between)."""

from __future__ import annotations

import anyio
import pytest

from trackyard.artifacts.base import Part
from trackyard.artifacts.local import LocalArtifactRepository
from trackyard.errors import ApiError


@pytest.fixture
def repository(tmp_path) -> LocalArtifactRepository:
    return LocalArtifactRepository(str(tmp_path / "root"))


def _read(repository: LocalArtifactRepository, path: str, start=0, end=None) -> bytes:
    reader = repository.open_read(path)
    try:
        return b"".join(reader.chunks(start, end))
    finally:
        reader.close()


def test_write_read_list_delete(repository: LocalArtifactRepository):
    assert repository.write("a/b.txt", [b"hello ", b"world"]) == 11
    assert _read(repository, "a/b.txt") == b"hello world"
    assert _read(repository, "a/b.txt", 6, 9) == b"wor"
    assert [(e.name, e.is_dir, e.size) for e in repository.list_folder("a")] == [
        ("b.txt", False, 11)
    ]
    assert repository.delete("a/b.txt") is True
    assert repository.delete("a/b.txt") is False
    assert repository.list_folder("a") == []


def test_write_from_an_async_stream(repository: LocalArtifactRepository):
    async def body():
        for part in (b"one ", b"", b"two"):
            yield part

    assert anyio.run(repository.write_stream, "s.txt", body()) == 7
    assert _read(repository, "s.txt") == b"one two"


def test_delete_prefix_is_by_folder_not_by_string(repository: LocalArtifactRepository):
    for path in ("run/x.txt", "run/deep/y.txt", "run-2/z.txt", "run.txt"):
        repository.write(path, [b"."])
    assert repository.delete_prefix("run") == 2
    assert [e.name for e in repository.list_folder("")] == ["run-2", "run.txt"]
    assert repository.delete_prefix("run.txt") == 1
    assert repository.delete_prefix("missing") == 0


def test_a_file_cannot_become_a_folder(repository: LocalArtifactRepository):
    repository.write("f.txt", [b"."])
    with pytest.raises(ApiError) as error:
        repository.write("f.txt/inner.txt", [b"."])
    assert error.value.status == 400


def test_staged_multipart_upload(repository: LocalArtifactRepository):
    upload = repository.create_multipart("m/big.bin")
    etags = [repository.upload_part("m/big.bin", upload, n, [bytes([n]) * 3]) for n in (2, 1)]
    assert all(len(etag) == 32 for etag in etags)
    with pytest.raises(ApiError):
        repository.complete_multipart("m/other.bin", upload, [Part(1), Part(2)])
    with pytest.raises(ApiError):
        repository.complete_multipart("m/big.bin", upload, [Part(1), Part(3)])
    repository.complete_multipart("m/big.bin", upload, [Part(1), Part(2)])
    assert _read(repository, "m/big.bin") == b"\x01\x01\x01\x02\x02\x02"
    assert [e.name for e in repository.list_folder("")] == ["m"]  # staging stays hidden
