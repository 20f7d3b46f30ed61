"""Landlock (Linux ≥ 5.13): the worker may read only what it needs and write only its scratch.

Rules are added with raw syscalls through ctypes (x86_64 and aarch64 numbers). What the
running kernel's ABI cannot express is left out, and :func:`restrict` says what it got:

| ABI | adds                                   | used for                                   |
|-----|----------------------------------------|--------------------------------------------|
| 1   | file system rights                     | read-only Python, read-write scratch only  |
| 2   | REFER (link/rename across folders)     | no moving files out of scratch             |
| 3   | TRUNCATE                               |                                            |
| 4   | TCP bind/connect                       | no TCP, even without a network namespace   |
| 5   | IOCTL_DEV                              |                                            |
| 6   | scopes: signals, abstract unix sockets | no signals to processes outside the sandbox|

Landlock never widens what DAC already denies, and it does not touch file descriptors
opened before :func:`restrict` (the worker's pipe, /dev/null on stdio).
"""

from __future__ import annotations

import ctypes
import os
import platform
import sys
from collections.abc import Iterable

_SYSCALLS = {"x86_64": (444, 445, 446), "aarch64": (444, 445, 446)}
_RULE_PATH_BENEATH = 1
_CREATE_RULESET_VERSION = 1

_EXECUTE, _WRITE_FILE, _READ_FILE, _READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_ABI1_ALL = (1 << 13) - 1
_REFER, _TRUNCATE, _IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_FILE_ONLY = _EXECUTE | _WRITE_FILE | _READ_FILE | _TRUNCATE | _IOCTL_DEV
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1
_PR_SET_NO_NEW_PRIVS = 38

READ = _EXECUTE | _READ_FILE | _READ_DIR


class LandlockError(OSError):
    """Landlock is unavailable or refused the ruleset."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc


def _numbers() -> tuple[int, int, int]:
    if not sys.platform.startswith("linux"):
        raise LandlockError(f"Landlock is Linux-only (this is {sys.platform})")
    numbers = _SYSCALLS.get(platform.machine())
    if numbers is None:
        raise LandlockError(f"no Landlock syscall numbers for {platform.machine()}")
    return numbers


def abi_version() -> int:
    """The kernel's Landlock ABI version; raises :class:`LandlockError` when there is none."""
    create, _, _ = _numbers()
    libc = _libc()
    version = libc.syscall(create, None, ctypes.c_size_t(0), ctypes.c_uint32(_CREATE_RULESET_VERSION))
    if version < 0:
        err = ctypes.get_errno()
        raise LandlockError(err, f"Landlock unavailable: {os.strerror(err)}")
    return int(version)


def set_no_new_privs() -> None:
    """No setuid binary or file capability can raise privileges from here on (inherited)."""
    if _libc().prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"PR_SET_NO_NEW_PRIVS: {os.strerror(err)}")


def _fs_rights(abi: int) -> int:
    rights = _ABI1_ALL
    if abi >= 2:
        rights |= _REFER
    if abi >= 3:
        rights |= _TRUNCATE
    if abi >= 5:
        rights |= _IOCTL_DEV
    return rights


def restrict(read_paths: Iterable[str], write_paths: Iterable[str], *, deny_tcp: bool = True,
             scope_signals: bool = True) -> list[str]:
    """Confine this thread (and everything it forks later) to the given paths.

    ``read_paths`` may be read and executed, ``write_paths`` anything. Missing paths are
    skipped. Call :func:`set_no_new_privs` first (or hold CAP_SYS_ADMIN). Returns what the
    ruleset covers (``fs``, ``tcp``, ``signals``) so callers can report it.
    """
    create, add_rule, restrict_self = _numbers()
    abi = abi_version()
    libc = _libc()
    fs_rights = _fs_rights(abi)
    attr = _RulesetAttr(handled_access_fs=fs_rights)
    covered = ["fs"]
    if deny_tcp and abi >= 4:
        attr.handled_access_net = _NET_BIND_TCP | _NET_CONNECT_TCP
        covered.append("tcp")
    if scope_signals and abi >= 6:
        attr.scoped = _SCOPE_SIGNAL | _SCOPE_ABSTRACT_UNIX_SOCKET
        covered.append("signals")
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    ruleset = libc.syscall(create, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        err = ctypes.get_errno()
        raise LandlockError(err, f"landlock_create_ruleset: {os.strerror(err)}")
    try:
        for paths, rights in ((read_paths, READ), (write_paths, fs_rights)):
            for path in paths:
                _add_path(libc, add_rule, int(ruleset), path, rights & fs_rights)
        if libc.syscall(restrict_self, ctypes.c_int(ruleset), ctypes.c_uint32(0)) != 0:
            err = ctypes.get_errno()
            raise LandlockError(err, f"landlock_restrict_self: {os.strerror(err)}")
    finally:
        os.close(int(ruleset))
    return covered


def _add_path(libc: ctypes.CDLL, add_rule: int, ruleset: int, path: str, rights: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a path this machine does not have needs no rule
    try:
        if not os.path.isdir(path):
            rights &= _FILE_ONLY
        rule = _PathBeneathAttr(allowed_access=rights, parent_fd=fd)
        if libc.syscall(add_rule, ctypes.c_int(ruleset), ctypes.c_int(_RULE_PATH_BENEATH),
                        ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            err = ctypes.get_errno()
            raise LandlockError(err, f"landlock_add_rule({path}): {os.strerror(err)}")
    finally:
        os.close(fd)
