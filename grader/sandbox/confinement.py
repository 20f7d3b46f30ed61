"""Everything a worker does to itself before it imports the student's file, in order.

The supervisor (the process the grader forked) runs :func:`isolate`: new PID, network,
mount and IPC namespaces when it can. The worker (its child, PID 1 in the new PID
namespace, or the supervisor itself when there are no namespaces) then runs
:func:`confine`:

1. read the student's folder into memory (top-level regular files only, capped);
2. mounts: private, a fresh /proc, the fork server's folder hidden, the Python
   installation revealed to other users where an ancestor (``/root``) hides it, and a
   size-capped tmpfs on the scratch folder;
3. the student's files written to ``scratch/submission`` (what it imports from);
4. environment scrubbed, stdio to /dev/null;
5. an unprivileged user id of its own, then no-new-privs and Landlock;
6. rlimits, working directory = scratch, every inherited descriptor but the pipe closed.

Each step that cannot be done is reported, never fatal: the report (protection name to
"" or the reason it is missing) goes back to the grader before the student's code runs.
"""

from __future__ import annotations

import os
import stat
import sys
from dataclasses import dataclass, field
from typing import Any

from grader.sandbox import identity, landlock, namespaces
from grader.sandbox.limits import Limits, apply_rlimits, redirect_stdio, scrub_environment

IS_LINUX = sys.platform.startswith("linux")
MAX_COPIED_FILES = 64
MAX_COPIED_BYTES = 8 << 20

_SYSTEM_READ = (
    "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/local/lib", "/lib", "/lib64", "/lib32",
    "/usr/share/zoneinfo", "/etc/ld.so.cache", "/etc/localtime", "/etc/passwd", "/etc/group",
    "/etc/nsswitch.conf", "/dev/urandom", "/dev/random", "/dev/zero", "/sys/devices/system/cpu",
)
_CUDA_READ = ("/proc/driver/nvidia", "/sys/bus/pci", "/sys/devices")
_CUDA_WRITE = ("/dev/nvidiactl", "/dev/nvidia-uvm", "/dev/nvidia-uvm-tools", "/dev/nvidia0", "/dev/nvidia1",
               "/dev/nvidia2", "/dev/nvidia3", "/dev/nvidia4", "/dev/nvidia5", "/dev/nvidia6", "/dev/nvidia7")


@dataclass
class Confinement:
    """What :func:`confine` set up (``report``: protection name -> "" or why it is missing)."""

    student_dir: str = ""
    student_path: str = ""
    report: dict[str, str] = field(default_factory=dict)


def isolate() -> str:
    """New namespaces for this process's future children; "" or why not."""
    if not IS_LINUX:
        return f"namespaces are Linux-only (this is {sys.platform})"
    flags = namespaces.CLONE_NEWPID | namespaces.CLONE_NEWNET | namespaces.CLONE_NEWNS | namespaces.CLONE_NEWIPC
    try:
        namespaces.unshare(flags)
    except OSError as exc:
        return f"unshare refused ({exc.strerror or exc}); needs root or CAP_SYS_ADMIN"
    return ""


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def read_paths(config: dict[str, Any]) -> list[str]:
    """Folders the worker may read: Python, its packages, the grader, the public folder.

    Never a folder holding the course root (the reference solutions, the tests) or the
    folder where submissions sit side by side; never anything inside reference/ or tests/.
    """
    import grader

    public_dir = config.get("public_dir") or ""
    course_root = os.path.dirname(os.path.dirname(os.path.realpath(public_dir))) if public_dir else ""
    submissions = os.path.dirname(os.path.dirname(os.path.realpath(config["student_path"])))
    guarded = [p for p in (course_root, submissions) if p and p != "/"]
    secret = [os.path.join(course_root, name) for name in ("reference", "tests")] if course_root else []
    candidates = [sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                  *(p for p in sys.path if p), os.path.dirname(os.path.realpath(grader.__file__)), public_dir,
                  *_SYSTEM_READ]
    if str(config.get("device", "cpu")).startswith("cuda"):
        candidates += _CUDA_READ
    allowed: list[str] = []
    for raw in candidates:
        if not raw or not os.path.isabs(raw) or not os.path.exists(raw):
            continue
        path = os.path.realpath(raw)
        if any(_is_within(g, path) for g in guarded) or any(_is_within(path, s) for s in secret):
            continue
        if path not in allowed:
            allowed.append(path)
    return allowed


def _read_student_folder(student_path: str) -> dict[str, bytes]:
    """The student's file and its top-level siblings (regular files, no links), capped."""
    folder, own = os.path.dirname(student_path), os.path.basename(student_path)
    names = sorted(os.listdir(folder), key=lambda n: (n != own, n))
    files: dict[str, bytes] = {}
    total = 0
    for name in names[: MAX_COPIED_FILES * 4]:
        try:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
        except OSError:
            continue
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                continue
            data = f.read(MAX_COPIED_BYTES - total + 1)
        if total + len(data) > MAX_COPIED_BYTES or len(files) >= MAX_COPIED_FILES:
            if name == own:
                raise OSError(f"{student_path} is larger than {MAX_COPIED_BYTES} bytes")
            continue
        files[name] = data
        total += len(data)
    return files


def _write_copy(scratch: str, files: dict[str, bytes], uid: int | None) -> str:
    copy = os.path.join(scratch, "submission")
    os.makedirs(copy, mode=0o700, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(copy, name), "wb") as f:
            f.write(data)
    if uid is not None:
        for path in (scratch, copy, *(os.path.join(copy, n) for n in files)):
            os.chown(path, uid, uid)
    return copy


def confine(config: dict[str, Any], *, namespaced: bool, uid_seed: int, keep_fd: int) -> Confinement:
    """Confine this process as the module docstring says; never raises for a missing protection."""
    report: dict[str, str] = {"process": ""}
    student_path = os.path.abspath(config["student_path"])
    scratch = config["scratch_dir"]
    limits = Limits(**config.get("limits", {}))
    files = _read_student_folder(student_path)
    is_root = identity.is_root()
    uid = identity.worker_uid(uid_seed) if is_root and IS_LINUX else None
    allowed = read_paths(config) if IS_LINUX else []

    if namespaced:
        report["private_mounts"] = _mount_filesystem(config, allowed, scratch, limits, uid)
    else:
        report["private_mounts"] = "no mount namespace (see pid_namespace)"
    if uid is not None and report["private_mounts"].startswith("could not reveal"):
        uid = None  # an unprivileged user could not import Python from where it is installed
    copy = _write_copy(scratch, files, uid)

    report["environment"] = scrub_environment(scratch)
    redirect_stdio()

    if uid is not None:
        try:
            identity.drop_privileges(uid)
            report["unprivileged_user"] = ""
            if namespaced:  # a change of credentials clears the parent-death signal
                namespaces.die_with_parent(9)
        except OSError as exc:
            report["unprivileged_user"] = f"could not switch to uid {uid}: {exc}"
    elif is_root:
        report["unprivileged_user"] = "stays root: " + (report["private_mounts"] or "not on Linux")
    elif IS_LINUX or hasattr(os, "getuid"):
        report["unprivileged_user"] = (f"runs as the grader's own user (uid {os.getuid()}), "
                                       "which can read what the grader can; run the grader as root for a "
                                       "separate user id")
    else:
        report["unprivileged_user"] = f"not supported on {sys.platform}"

    fresh_proc = namespaced and not report["private_mounts"].startswith("mount failed")
    report.update(_landlock(allowed, scratch, config, fresh_proc=fresh_proc))
    # With CUDA the address space is limited after the context exists (grader.sandbox.cuda).
    report["rlimits"] = apply_rlimits(limits, address_space=not str(config.get("device", "cpu")).startswith("cuda"))
    os.chdir(scratch)
    os.umask(0o077)
    report["closed_fds"] = _close_inherited_fds(keep_fd)
    return Confinement(student_dir=copy, student_path=os.path.join(copy, os.path.basename(student_path)),
                       report=report)


def _mount_filesystem(config: dict[str, Any], allowed: list[str], scratch: str, limits: Limits,
                      uid: int | None) -> str:
    try:
        namespaces.private_mounts()
        namespaces.mount_proc()
        for folder in config.get("hidden_dirs", ()):
            namespaces.hide(folder)
    except OSError as exc:
        return f"mount failed: {exc}"
    problem = ""
    if uid is not None:
        failed = namespaces.reveal([*allowed, scratch])
        if failed:
            problem = f"could not reveal {', '.join(failed[:3])} to an unprivileged user"
    try:
        owner = uid if uid is not None else os.getuid()
        namespaces.mount_tmpfs(scratch, size_mb=limits.disk_mb, uid=owner, gid=owner)
    except OSError as exc:
        return problem or f"scratch tmpfs: {exc}"
    return problem


def _landlock(allowed: list[str], scratch: str, config: dict[str, Any], *, fresh_proc: bool) -> dict[str, str]:
    names = ("no_new_privs", "landlock_files", "landlock_tcp", "landlock_signals")
    if not IS_LINUX:
        return dict.fromkeys(names, f"Linux-only (this is {sys.platform})")
    report: dict[str, str] = {}
    try:
        landlock.set_no_new_privs()
        report["no_new_privs"] = ""
    except OSError as exc:
        report["no_new_privs"] = str(exc)
    # A fresh /proc shows only the sandbox's own processes; the host's would show the grader's.
    proc = ["/proc"] if fresh_proc else [os.path.realpath("/proc/self")] if os.path.isdir("/proc/self") else []
    write = [scratch, "/dev/null"]
    if str(config.get("device", "cpu")).startswith("cuda"):
        write += list(_CUDA_WRITE)
    try:
        covered = landlock.restrict([*allowed, *proc], write)
    except OSError as exc:
        reason = f"{exc.strerror or exc}" if isinstance(exc, landlock.LandlockError) else str(exc)
        return {**report, "landlock_files": reason, "landlock_tcp": reason, "landlock_signals": reason}
    report["landlock_files"] = ""
    report["landlock_tcp"] = "" if "tcp" in covered else "needs Landlock ABI 4 (Linux 6.7)"
    report["landlock_signals"] = "" if "signals" in covered else "needs Landlock ABI 6 (Linux 6.12)"
    return report


def _close_inherited_fds(keep_fd: int) -> str:
    """Close the fork server's descriptors (resource tracker, alive pipe, ...) but the pipe."""
    try:
        fds = [int(n) for n in os.listdir("/proc/self/fd")] if IS_LINUX else []
    except OSError as exc:
        return f"could not list descriptors: {exc}"
    for fd in fds:
        if fd > 2 and fd != keep_fd:
            try:
                os.close(fd)
            except OSError:
                pass
    return "" if IS_LINUX else f"not done on {sys.platform}"
