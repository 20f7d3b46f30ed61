"""Extracting a submitted zip safely: nothing lands outside the destination, nothing is huge.

Refused, with a :class:`~grader.errors.SubmissionError` naming the member and the rule:

| rule                                   | default cap          |
|----------------------------------------|----------------------|
| absolute paths, ``..``, drive letters  |                      |
| symlinks, devices, FIFOs (by mode bits)|                      |
| encrypted members                      |                      |
| members                                | ``max_members`` 500  |
| total uncompressed size                | ``max_total_mb`` 50  |
| compression ratio of one member        | ``max_ratio`` 200    |

Sizes are counted while decompressing, so a member lying about its size in the zip
directory is still stopped at the cap.
"""

from __future__ import annotations

import os
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import SubmissionError

_CHUNK = 1 << 16


@dataclass(frozen=True)
class ArchiveLimits:
    """Caps on one archive (keyword-only; see the module's table)."""

    max_members: int = 500
    max_total_mb: int = 50
    max_ratio: float = 200.0


def _safe_name(info: zipfile.ZipInfo, archive: Path) -> PurePosixPath | None:
    name = info.filename.replace("\\", "/")
    path = PurePosixPath(name)
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        raise SubmissionError(f"{archive}: member {info.filename!r} has an absolute path")
    if any(part == ".." for part in path.parts):
        raise SubmissionError(f"{archive}: member {info.filename!r} points outside the archive (..)")
    if "\x00" in name:
        raise SubmissionError(f"{archive}: member {info.filename!r} has a NUL byte in its name")
    parts = [p for p in path.parts if p not in ("", ".")]
    return PurePosixPath(*parts) if parts else None


def _check_kind(info: zipfile.ZipInfo, archive: Path) -> None:
    mode = info.external_attr >> 16
    if info.flag_bits & 0x1:
        raise SubmissionError(f"{archive}: member {info.filename!r} is encrypted")
    if mode and stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        kind = "a symlink" if stat.S_ISLNK(mode) else "a special file"
        raise SubmissionError(f"{archive}: member {info.filename!r} is {kind}; only files and folders are allowed")


def extract_zip(archive: str | os.PathLike[str], destination: str | os.PathLike[str], *,
                limits: ArchiveLimits | None = None) -> Path:
    """Extract ``archive`` into ``destination`` (created; must be empty) and return it.

    Raises :class:`SubmissionError` for an unreadable archive or one that breaks a rule.
    A refused archive leaves whatever was extracted so far: extract into a fresh folder.
    """
    limits = limits or ArchiveLimits()
    archive, dest = Path(archive), Path(destination)
    max_total = limits.max_total_mb * 1024 * 1024
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SubmissionError(f"{archive}: not a readable zip archive ({exc})") from exc
    with zf:
        members = zf.infolist()
        if len(members) > limits.max_members:
            raise SubmissionError(f"{archive}: {len(members)} members, more than the {limits.max_members} allowed")
        plan = []
        for info in members:
            _check_kind(info, archive)
            name = _safe_name(info, archive)
            if name is not None:
                plan.append((info, name))
        dest.mkdir(parents=True, exist_ok=True)
        root = dest.resolve()
        total = 0
        for info, name in plan:
            target = (root / name).resolve()
            if target != root and root not in target.parents:
                raise SubmissionError(f"{archive}: member {info.filename!r} points outside the archive")
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.parent.resolve() != target.parent or target.is_symlink():
                raise SubmissionError(f"{archive}: member {info.filename!r} would be written through a link")
            total = _copy_member(zf, info, target, total, max_total, limits.max_ratio, archive)
    return dest


def _copy_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, total: int, max_total: int,
                 max_ratio: float, archive: Path) -> int:
    written = 0
    budget = max(info.compress_size, 1) * max_ratio
    try:
        with zf.open(info) as src, open(target, "xb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                total += len(chunk)
                if total > max_total:
                    raise SubmissionError(f"{archive}: more than {max_total >> 20} MB once uncompressed")
                if written > 1024 * 1024 and written > budget:
                    raise SubmissionError(f"{archive}: member {info.filename!r} expands more than "
                                          f"{max_ratio:g} times (a zip bomb?)")
                out.write(chunk)
    except FileExistsError as exc:
        raise SubmissionError(f"{archive}: member {info.filename!r} appears twice") from exc
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as exc:
        raise SubmissionError(f"{archive}: member {info.filename!r} cannot be extracted ({exc})") from exc
    return total
