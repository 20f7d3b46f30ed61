"""grader.archive: a zip extracts only inside its destination, and only when it is small."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from grader.archive import ArchiveLimits, extract_zip
from grader.errors import SubmissionError


def _zip(path: Path, members: dict[str, bytes], *, mode: int | None = None) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            info = zipfile.ZipInfo(name)
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)
    return path


def test_a_plain_submission_extracts(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", {"alice/iou.py": b"x = 1\n", "alice/": b""})
    out = extract_zip(archive, tmp_path / "out")
    assert (out / "alice" / "iou.py").read_bytes() == b"x = 1\n"


@pytest.mark.parametrize("name", ["../evil.py", "a/../../evil.py", "/tmp/evil.py", "C:/evil.py", "..\\evil.py"])
def test_zip_slip_is_refused(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / "s.zip", {name: b"pwned"})
    with pytest.raises(SubmissionError, match="outside|absolute"):
        extract_zip(archive, tmp_path / "out" / "dest")
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "out" / "evil.py").exists()


def test_symlinks_are_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", {"iou.py": b"/work/main/reference/iou/iou.py"}, mode=stat.S_IFLNK | 0o777)
    with pytest.raises(SubmissionError, match="symlink"):
        extract_zip(archive, tmp_path / "out")


def test_special_files_are_refused(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", {"fifo": b""}, mode=stat.S_IFIFO | 0o644)
    with pytest.raises(SubmissionError, match="special file"):
        extract_zip(archive, tmp_path / "out")


def test_a_zip_bomb_is_stopped_by_its_ratio(tmp_path: Path) -> None:
    archive = _zip(tmp_path / "s.zip", {"bomb.py": b"\0" * (20 << 20)})
    with pytest.raises(SubmissionError, match="expands more than"):
        extract_zip(archive, tmp_path / "out")


def test_total_size_and_member_count_are_capped(tmp_path: Path) -> None:
    big = _zip(tmp_path / "big.zip", {f"f{i}.bin": bytes(range(256)) * 4096 for i in range(3)})
    with pytest.raises(SubmissionError, match="MB once uncompressed"):
        extract_zip(big, tmp_path / "out1", limits=ArchiveLimits(max_total_mb=2))
    many = _zip(tmp_path / "many.zip", {f"f{i}.py": b"" for i in range(20)})
    with pytest.raises(SubmissionError, match="members"):
        extract_zip(many, tmp_path / "out2", limits=ArchiveLimits(max_members=10))


def test_not_a_zip_is_a_submission_error(tmp_path: Path) -> None:
    (tmp_path / "s.zip").write_bytes(b"not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        extract_zip(tmp_path / "s.zip", tmp_path / "out")
