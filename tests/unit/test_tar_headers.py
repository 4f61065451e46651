"""DeterministicTar writes its own member headers: its archives must be byte for byte those of
``tarfile`` with the same fixed member settings, for every kind of name and size."""

import io
import os
import tarfile

import pytest

from engine.sinks.files import DeterministicTar, describe


def tarfile_bytes(members: list[tuple[str, bytes]]) -> bytes:
    """The reference: tarfile's USTAR writer, each member with mtime 0, mode 0444, owner 0."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o444
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def ours(tmp_path, members: list[tuple[str, bytes]]) -> bytes:
    path = tmp_path / "ours.tar"
    tar = DeterministicTar(str(path))
    for name, data in members:
        tar.add(name, data)
    written = tar.close()
    assert written == describe(str(path))  # hashed as written: the same as reading it back
    return path.read_bytes()


NAMES = [
    "a.jpg",
    "part-00000-000123.json",
    "x" * 100,  # the longest name without a prefix
    "d/" * 30 + "y" * 80,  # over 100 bytes: tarfile splits it into prefix and name
    "café-ünïcode-名前.txt",
    "é" * 50,  # exactly 100 bytes of UTF-8
    "dir/" + "é" * 50,  # 104 bytes: through tarfile's own header
    "bad-\udcff-surrogate.txt",  # a name decoded with surrogateescape
]
SIZES = [0, 1, 511, 512, 513, 1024, 10_239, 10_240, 70_001]


@pytest.mark.parametrize("name", NAMES)
def test_each_name_gives_tarfiles_bytes(tmp_path, name):
    members = [(name, bytes(range(256)) * 3), ("second.bin", b"")]
    assert ours(tmp_path, members) == tarfile_bytes(members)


def test_every_size_and_archive_length_gives_tarfiles_bytes(tmp_path):
    members = [(f"m{i:03d}.bin", os.urandom(size)) for i, size in enumerate(SIZES * 3)]
    for count in range(len(members) + 1):  # the end padding depends on the archive's length
        assert ours(tmp_path, members[:count]) == tarfile_bytes(members[:count]), count


def test_the_archive_reads_back_with_tarfile(tmp_path):
    members = [(name, os.urandom(size)) for name, size in zip(NAMES, SIZES, strict=False)]
    ours(tmp_path, members)
    with tarfile.open(tmp_path / "ours.tar") as tar:
        assert [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()] == members


def test_a_name_tarfile_refuses_is_refused_the_same_way(tmp_path):
    name = "z" * 300  # no prefix split can hold it
    with pytest.raises(ValueError, match="name is too long"):
        tarfile_bytes([(name, b"1")])
    with pytest.raises(ValueError, match="name is too long"):
        ours(tmp_path, [(name, b"1")])
