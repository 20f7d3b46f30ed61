"""The user id a worker runs under: its own unprivileged id when the grader is root.

Each worker gets ``1_000_000 + pid`` (its supervisor's pid, unique among live processes),
so RLIMIT_NPROC counts only that worker's processes, and no worker can read, signal or
trace another submission's worker. Where the user namespace maps fewer ids, ``nobody``
(65534) is the fallback.
"""

from __future__ import annotations

import os

BASE_UID = 1_000_000
NOBODY = 65534


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _mapped(uid: int) -> bool:
    try:
        with open("/proc/self/uid_map") as f:
            for line in f:
                inside, _, count = (int(v) for v in line.split())
                if inside <= uid < inside + count:
                    return True
    except (OSError, ValueError):
        return uid == NOBODY
    return False


def worker_uid(pid: int) -> int:
    uid = BASE_UID + pid
    return uid if _mapped(uid) else NOBODY


def drop_privileges(uid: int) -> None:
    """Become ``uid`` (and group ``uid``, no supplementary groups) for good."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if os.getuid() != uid or os.geteuid() != uid:
        raise OSError(f"still uid {os.geteuid()} after setresuid({uid})")


def _uid_of(pid: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def kill_user_processes(uid: int, rounds: int = 5) -> int:
    """SIGKILL every process of ``uid`` (a worker's own id); returns how many were found.

    The fallback where no PID namespace holds the worker's descendants: a process that
    called ``setsid()`` escapes the process group, not its user id. Only for ids of
    :func:`worker_uid`'s own range, never ``nobody``, which other workers may share.
    """
    if uid < BASE_UID or not os.path.isdir("/proc"):
        return 0
    found = 0
    for _ in range(rounds):  # a fork bomb forks while we sweep
        pids = [p for p in os.listdir("/proc") if p.isdigit() and _uid_of(p) == uid]
        if not pids:
            break
        for pid in pids:
            try:
                os.kill(int(pid), 9)
                found += 1
            except OSError:
                pass
    return found
