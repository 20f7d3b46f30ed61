"""Linux namespaces and mounts for a worker (needs root, i.e. CAP_SYS_ADMIN; Linux only).

The worker's supervisor calls :func:`unshare` for new PID, network, mount and IPC
namespaces, then forks: its child is PID 1 of the new PID namespace, so when it dies the
kernel kills every process the student started, even ones that called ``setsid()``. In the
child, :func:`private_mounts`, :func:`mount_proc` (a /proc that shows only the sandbox's
processes), :func:`mount_tmpfs` (a size-capped scratch folder) and :func:`reveal` (make
folders readable for an unprivileged user when an ancestor such as ``/root`` is not) shape
what the student's code sees. Mount changes never leave the private mount namespace.
"""

from __future__ import annotations

import ctypes
import os
import stat
from collections.abc import Iterable

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000

_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC = 1, 2, 4, 8
_MS_REC, _MS_PRIVATE = 0x4000, 0x40000
_OPEN_TREE_CLONE, _OPEN_TREE_CLOEXEC, _AT_RECURSIVE = 1, 0o2000000, 0x8000
_MOVE_MOUNT_F_EMPTY_PATH = 0x4
_SYS_OPEN_TREE, _SYS_MOVE_MOUNT = 428, 429
_AT_FDCWD = -100
_PR_SET_PDEATHSIG = 1


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def unshare(flags: int) -> None:
    _check(_libc().unshare(ctypes.c_int(flags)), "unshare")


def die_with_parent(signal_number: int) -> None:
    """Ask the kernel to send ``signal_number`` to this process when its parent dies."""
    _check(_libc().prctl(_PR_SET_PDEATHSIG, signal_number, 0, 0, 0), "PR_SET_PDEATHSIG")


def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    libc = _libc()
    result = libc.mount(source.encode(), target.encode(), fstype.encode() if fstype else None,
                        ctypes.c_ulong(flags), data.encode() if data else None)
    _check(result, f"mount {fstype or source} on {target}")


def private_mounts() -> None:
    """Stop mount events propagating back to the host."""
    _mount("none", "/", None, _MS_REC | _MS_PRIVATE, None)


def mount_proc() -> None:
    """A fresh /proc for this PID namespace: the grader's processes are not in it."""
    _mount("proc", "/proc", "proc", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC, None)


def mount_tmpfs(path: str, *, size_mb: int, uid: int, gid: int, mode: int = 0o700) -> None:
    data = f"size={max(size_mb, 1)}m,mode={mode:o},uid={uid},gid={gid},nr_inodes=10000"
    _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV, data)


def hide(path: str) -> None:
    """Cover ``path`` (a folder) with an empty read-only tmpfs."""
    if os.path.isdir(path):
        _mount("tmpfs", path, "tmpfs", _MS_NOSUID | _MS_NODEV | _MS_NOEXEC | _MS_RDONLY, "size=4k,mode=000")


def _searchable_by_others(path: str) -> bool:
    try:
        return bool(os.stat(path).st_mode & stat.S_IXOTH)
    except OSError:
        return True  # nothing to reveal: a missing folder stays missing


def blocked_ancestors(paths: Iterable[str]) -> dict[str, list[str]]:
    """For each topmost folder that other users cannot search, the needed paths beneath it."""
    blocked: dict[str, list[str]] = {}
    for path in sorted(set(paths)):
        parts = path.strip("/").split("/")
        for i in range(1, len(parts)):
            ancestor = "/" + "/".join(parts[:i])
            if not _searchable_by_others(ancestor):
                blocked.setdefault(ancestor, []).append(path)
                break
    return blocked


def reveal(paths: Iterable[str]) -> list[str]:
    """Make ``paths`` reachable by an unprivileged user without changing the host.

    Each blocking ancestor (e.g. ``/root`` holding ``/root/.pyenv``) is covered with a tmpfs
    (mode 0755) into which only the needed paths are bind-mounted back, so the rest of it
    disappears. Returns the paths that could not be revealed.
    """
    libc = _libc()
    failed: list[str] = []
    for ancestor, needed in blocked_ancestors(paths).items():
        trees: list[tuple[str, int]] = []
        try:
            for path in needed:
                if os.path.exists(path):
                    fd = _check(libc.syscall(_SYS_OPEN_TREE, _AT_FDCWD, path.encode(),
                                             _OPEN_TREE_CLONE | _OPEN_TREE_CLOEXEC | _AT_RECURSIVE), "open_tree")
                    trees.append((path, int(fd)))
            _mount("tmpfs", ancestor, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64k,mode=755")
            old_umask = os.umask(0o022)
            try:
                for path, fd in trees:
                    if os.path.isdir(f"/proc/self/fd/{fd}"):
                        os.makedirs(path, exist_ok=True)
                    else:
                        os.makedirs(os.path.dirname(path), exist_ok=True)
                        open(path, "a").close()
                    _check(libc.syscall(_SYS_MOVE_MOUNT, fd, b"", _AT_FDCWD, path.encode(),
                                        _MOVE_MOUNT_F_EMPTY_PATH), "move_mount")
            finally:
                os.umask(old_umask)
        except OSError:
            failed.extend(needed)
        finally:
            for _, fd in trees:
                os.close(fd)
    return failed
