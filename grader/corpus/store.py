"""The corpus file: one assignment's persisted cases (and reference answers), data only.

Layout: ``MAGIC | sha256 of the body (64 hex digits) | "\\n" | body``, the body one
:mod:`grader.sandbox.wire` frame (a JSON header and raw tensor bytes: no pickle, nothing that
runs code when read). The digest catches a truncated or corrupted file; the fingerprint
inside says what the cases were drawn for, and a file whose fingerprint is not the one
expected is stale. Both are refused, never used in part.

The file lives where only the grader writes (the course's ``corpus/`` folder, the grader's
own cache), so the digest is a check of integrity, not a signature.

What wire alone would lose is kept: a tensor's strides (a suite may hand a transposed view
to catch code that assumes contiguity) and its ``requires_grad``; the path of a model
factory (a :class:`~grader.checks.built.BuildSpec`) is stored relative to the course, so a
corpus built on an instructor's machine holds on Gradescope. Every case is checked to come
back from the file identical to what was drawn (:func:`identical`); a test with a case that
does not (a value wire cannot carry, a tensor whose strides overlap) is not stored, and is
searched at grading as it would be without a corpus.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from grader.checks.built import BuildSpec
from grader.sandbox import wire
from grader.sandbox.process import request_frame

MAGIC = b"grader-corpus 1\n"
FORMAT = 2  # 2: calls as request frames
_TENSOR = "$grader-corpus-tensor"  # a mapping key wire carries as a $dict entry
_COURSE = "course:"  # a BuildSpec path relative to the course root

MemoKey = tuple[str, int, int, str]


class CorpusError(Exception):
    """A corpus file that cannot be used: what is wrong with it, in a sentence. ``stale``: it
    is whole, but was drawn for another fingerprint."""

    def __init__(self, message: str, *, stale: bool = False) -> None:
        super().__init__(message)
        self.stale = stale


@dataclass
class Corpus:
    """Cases per test (memo key) and reference answers per call key, for one assignment."""

    assignment: str
    fingerprint: str
    scope: str  # "full" (visible and hidden tests, reference answers) or "visible"
    cases: dict[MemoKey, list[dict[str, Any]]] = field(default_factory=dict)
    answers: dict[bytes, Any] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # test key -> why it was not stored
    # The student calls each sequence made when it passed, as (fn, request frame): a replay
    # sends them to the worker at once (grader.checks.student.Student.prefetch).
    calls: dict[MemoKey, list[tuple[str, bytes]]] = field(default_factory=dict)


def _pack(value: Any, root: Path) -> Any:
    kind = type(value)
    if kind is torch.Tensor:
        if value.layout is not torch.strided or value.is_quantized:
            raise wire.WireError(f"a {value.layout} tensor")
        dense = value.detach().contiguous()
        return {_TENSOR: [dense, list(value.shape), list(value.stride()), bool(value.requires_grad)]}
    if kind is list:
        return [_pack(v, root) for v in value]
    if kind is tuple:
        return tuple(_pack(v, root) for v in value)
    if kind is dict:
        if _TENSOR in value:
            raise wire.WireError(f"a mapping with the key {_TENSOR!r}")
        return {k: _pack(v, root) for k, v in value.items()}
    if kind is BuildSpec:
        path = Path(value.module_path).resolve()
        if root not in path.parents:
            raise wire.WireError(f"a model factory outside the course ({path})")
        return BuildSpec(_COURSE + path.relative_to(root).as_posix(), value.factory, _pack(value.data, root))
    return value


def _unpack(value: Any, root: Path) -> Any:
    kind = type(value)
    if kind is list:
        return [_unpack(v, root) for v in value]
    if kind is tuple:
        return tuple(_unpack(v, root) for v in value)
    if kind is dict:
        if len(value) == 1 and _TENSOR in value:
            dense, shape, stride, requires_grad = value[_TENSOR]
            if not isinstance(dense, torch.Tensor) or list(dense.shape) != shape:
                raise CorpusError("a tensor entry does not match its shape")
            if list(dense.stride()) == stride:  # the decoded tensor is fresh: no second copy
                out = dense
            else:
                out = torch.empty_strided(shape, stride, dtype=dense.dtype, device=dense.device)
                out.copy_(dense)
            return out.requires_grad_(bool(requires_grad))
        return {k: _unpack(v, root) for k, v in value.items()}
    if kind is BuildSpec:
        path = value.module_path
        if not path.startswith(_COURSE):
            raise CorpusError(f"a model factory path {path!r} not relative to the course")
        return BuildSpec(str(root / path[len(_COURSE):]), value.factory, _unpack(value.data, root))
    return value


def identical(a: Any, b: Any) -> bool:
    """Same types, same values bit for bit (NaN, -0.0), same tensor dtype, shape, strides and
    ``requires_grad``: a replayed case must be the very case that was drawn."""
    if type(a) is not type(b):
        return False
    if isinstance(a, torch.Tensor):
        if (a.dtype, a.shape, a.stride(), a.requires_grad, a.device) != (b.dtype, b.shape, b.stride(),
                                                                          b.requires_grad, b.device):
            return False
        x, y = a.detach().cpu().contiguous().reshape(-1), b.detach().cpu().contiguous().reshape(-1)
        return x.numel() == 0 or torch.equal(x.view(torch.uint8), y.view(torch.uint8))
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(identical(a[k], b[k]) for k in a)
    if isinstance(a, torch.Generator):
        return a.device == b.device and torch.equal(a.get_state(), b.get_state())
    if isinstance(a, BuildSpec):
        return (a.module_path, a.factory) == (b.module_path, b.factory) and identical(a.data, b.data)
    return bool(a == b)


def storable(value: Any, root: Path) -> str:
    """"" when ``value`` comes back from a corpus file identical; else why not."""
    try:
        frame = wire.encode(_pack(value, root))
        back = _unpack(wire.decode(frame, allow_build=True), root)
    except (wire.WireError, CorpusError, TypeError, ValueError, RuntimeError) as exc:
        return f"a case holds a value the corpus cannot store ({exc})"
    return "" if identical(value, back) else "a case does not come back identical from the corpus file"


def _calls_node(calls: list[tuple[str, bytes]], root: Path) -> dict[str, Any]:
    """A test's call frames as stored: as they are, in one byte tensor (read back without
    decoding a call); or, where a frame names a model factory by its absolute path (a
    BuildSpec), as [fn, args, kwargs] with the path made relative to the course, encoded
    afresh when read, so a corpus built elsewhere still matches the frames a body sends."""
    if not any(b'"$build"' in frame[4:4 + int.from_bytes(frame[:4], "big")] for _, frame in calls):
        blob = bytearray(b"".join(frame for _, frame in calls))
        frames = torch.frombuffer(blob, dtype=torch.uint8) if blob else torch.empty(0, dtype=torch.uint8)
        return {"fns": [fn for fn, _ in calls], "sizes": [len(frame) for _, frame in calls], "frames": frames}
    decoded = [wire.decode(frame, allow_build=True) for _, frame in calls]
    return {"calls": _pack([[r["fn"], list(r["args"]), dict(r["kwargs"])] for r in decoded], root)}


def _calls_from(node: Any, root: Path) -> list[tuple[str, bytes]]:
    if not isinstance(node, dict):
        raise CorpusError("a call list is not a mapping")
    if "calls" in node:
        return [(str(fn), request_frame("call", str(fn), list(args), dict(kwargs)))
                for fn, args, kwargs in _unpack(node["calls"], root)]
    fns, sizes, frames = node["fns"], node["sizes"], node["frames"]
    if not (isinstance(frames, torch.Tensor) and frames.dtype == torch.uint8 and isinstance(fns, list)
            and isinstance(sizes, list) and len(fns) == len(sizes)
            and all(type(n) is int and n >= 4 for n in sizes) and sum(sizes) == frames.numel()):
        raise CorpusError("a call list does not match its frames")
    blob = frames.numpy().tobytes()
    out, at = [], 0
    for fn, size in zip(fns, sizes):
        out.append((str(fn), blob[at:at + size]))
        at += size
    return out


def calls_storable(calls: list[tuple[str, bytes]], root: Path) -> bool:
    """Whether ``calls`` come back from a corpus file as the same frames."""
    try:
        return _calls_from(wire.decode(wire.encode(_calls_node(calls, root)), allow_build=True), root) == calls
    except (wire.WireError, CorpusError, KeyError, TypeError, ValueError, RuntimeError):
        return False


def encode(corpus: Corpus, root: Path) -> bytes:
    body = wire.encode({
        "format": FORMAT, "assignment": corpus.assignment, "fingerprint": corpus.fingerprint,
        "scope": corpus.scope,
        "tests": [[list(key), _pack(cases, root)] for key, cases in sorted(corpus.cases.items())],
        "answers": [[key.hex(), _pack(value, root)] for key, value in corpus.answers.items()],
        "skipped": dict(sorted(corpus.skipped.items())),
        "calls": [[list(key), _calls_node(calls, root)] for key, calls in sorted(corpus.calls.items())],
    })
    return MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n" + body


def decode(blob: bytes, root: Path, *, where: str, fingerprint: str | None = None) -> Corpus:
    """The corpus in ``blob`` (read from ``where``); :class:`CorpusError` when it is truncated,
    corrupted, of another format, or (``fingerprint`` given) stale."""
    head = len(MAGIC) + 65
    if not blob.startswith(MAGIC):
        raise CorpusError(f"{where} is not a corpus file (it does not start with {MAGIC!r})")
    if len(blob) < head or blob[head - 1:head] != b"\n":
        raise CorpusError(f"{where} is truncated (no digest line)")
    body = blob[head:]
    if hashlib.sha256(body).hexdigest().encode() != blob[len(MAGIC):head - 1]:
        raise CorpusError(f"{where} is truncated or corrupted (its content does not match its digest)")
    try:
        node = wire.decode(body, allow_build=True)
        if not isinstance(node, dict) or node.get("format") != FORMAT:
            # Whole, but written by another version of the grader: as expected as a stale file.
            raise CorpusError(f"{where} has format {node.get('format') if isinstance(node, dict) else '?'}, "
                              f"expected {FORMAT}", stale=isinstance(node, dict))
        if fingerprint is not None and node["fingerprint"] != fingerprint:
            raise CorpusError(f"{where} is stale: it was drawn for fingerprint {str(node['fingerprint'])[:12]}…, "
                              f"and the suite, its helpers, the course's seed or budgets, the grader or its "
                              f"libraries now give {fingerprint[:12]}…", stale=True)
        corpus = Corpus(assignment=node["assignment"], fingerprint=node["fingerprint"], scope=node["scope"],
                        skipped=dict(node.get("skipped", {})))
        for key, cases in node["tests"]:
            test, seed, budget, device = key
            corpus.cases[(str(test), int(seed), int(budget), str(device))] = _unpack(cases, root)
        for key, value in node["answers"]:
            corpus.answers[bytes.fromhex(key)] = _unpack(value, root)
        for key, calls in node.get("calls", []):
            test, seed, budget, device = key
            corpus.calls[(str(test), int(seed), int(budget), str(device))] = _calls_from(calls, root)
    except CorpusError:
        raise
    except (wire.WireError, KeyError, TypeError, ValueError, RuntimeError) as exc:
        raise CorpusError(f"{where} is malformed ({type(exc).__name__}: {exc})") from exc
    return corpus


def read(path: Path, root: Path, *, fingerprint: str | None = None) -> Corpus:
    try:
        blob = path.read_bytes()
    except OSError as exc:
        raise CorpusError(f"{path} cannot be read ({exc.strerror or exc})") from exc
    return decode(blob, root, where=str(path), fingerprint=fingerprint)


def write(path: Path, corpus: Corpus, root: Path) -> Path:
    """Write ``corpus`` to ``path`` whole or not at all (a temporary file, then one rename)."""
    blob = encode(corpus, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(blob)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


__all__ = ["Corpus", "CorpusError", "MAGIC", "decode", "encode", "identical", "read", "storable", "write"]
