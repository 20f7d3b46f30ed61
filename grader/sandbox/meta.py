"""Worker side of the device checks: a call replayed on torch's ``meta`` device, and the
devices of a call's results.

A meta tensor has a shape, a dtype and a device but no values, so running the student's
function on meta inputs costs nothing and shows where its tensors go: a tensor made without
``device=`` lands on the CPU, and mixing it with a meta tensor raises the same error a GPU
would raise; ``.cpu()`` and ``.numpy()`` cannot copy out of meta. What this module sends back
is a plain report; the grader judges it (:mod:`grader.checks.device`), so a worker that lies
only hides its own bug.

| report key  | meaning                                                                       |
|-------------|-------------------------------------------------------------------------------|
| ``status``  | ``returned``, ``raised``, or ``skipped`` (an input that cannot move to meta) |
| ``misplaced``| ``[[where, device], ...]``: result tensors not on meta                      |
| ``error``   | ``{"type", "types", "message"}`` when the call raised                         |
| ``frame``   | ``{"file", "line", "code"}``: the student's innermost line when it raised     |
| ``call``    | the torch function running when it raised (``Tensor.cpu``, ``torch.cat``, ...)|
| ``created`` | ``[{"what", "file", "line", "code"}, ...]``: where CPU tensors were made     |
| ``tracked`` | after a raise without evidence: :mod:`grader.sandbox.provenance`'s report   |
| ``mixed``   | the first call given a meta and an n-dim CPU tensor, where it was made      |
"""

from __future__ import annotations

import linecache
import sys
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

MAX_CREATED = 5


def warm_up() -> None:
    """Run one meta operation before the worker installs its call tracers.

    The first meta operations import parts of torch lazily (shape reasoning, and without
    :mod:`grader.sandbox.dynamo_stub` ``torch._dynamo``) that read names such as
    ``torch.ops.aten.lstm.input``, which the tracers replace with stand-ins lacking those
    attributes. Done first, meta works whatever an assignment forbids; the fork server runs
    it at its boot (:mod:`grader.sandbox.server_boot`), so in a worker this is free."""
    x = torch.ones(2, 3, device="meta")
    (x @ x.T + torch.ones(2, device="meta")).sigmoid().sum()


def tensors_in(value: Any, where: str = "result", depth: int = 0) -> Iterator[tuple[str, torch.Tensor]]:
    """Every tensor in a result (tuples, lists, dicts, torch.return_types), with where it sits."""
    if depth > 20:
        return
    if isinstance(value, torch.Tensor):
        yield where, value
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            yield from tensors_in(v, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for k, v in list(value.items())[:100]:
            yield from tensors_in(v, f"{where}[{k!r}]", depth + 1)


def _same_device(actual: torch.device, expected: torch.device) -> bool:
    if actual.type != expected.type:
        return False
    if expected.index is None or actual.index is None:
        if expected.type == "cuda" and actual.index is not None:
            return actual.index == torch.cuda.current_device()
        return True
    return actual.index == expected.index


def misplaced(value: Any, device: str | None) -> list[list[str]]:
    """``[[where, device], ...]`` for the result tensors that are not on ``device``."""
    if not device:
        return []
    expected = torch.device(device)
    return [[where, str(t.device)] for where, t in tensors_in(value) if not _same_device(t.device, expected)][:5]


def wrong_device_error(fn: str, wrong: list[list[str]], device: str) -> dict[str, Any]:
    """A result on another device than the inputs', as the worker's error data."""
    where = ", ".join(f"{w} on {d}" for w, d in wrong)
    return {"type": "WrongDevice", "types": ["WrongDevice", "Exception"],
            "message": f"{fn} returned {where}, but its inputs are on {device}", "traceback": ""}


def _to_meta(value: Any) -> Any:
    if isinstance(value, torch.Generator):
        raise _CannotMove("a torch.Generator argument cannot move to the meta device")
    if isinstance(value, torch.Tensor):
        return value.detach().to("meta").requires_grad_(value.requires_grad)
    if isinstance(value, list):
        return [_to_meta(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_to_meta(v) for v in value)
    if isinstance(value, dict):
        return {k: _to_meta(v) for k, v in value.items()}
    return value


class _CannotMove(Exception):
    pass


def _student_frame(frames: list[traceback.FrameSummary] | None, paths: tuple[str, str]) -> dict[str, Any] | None:
    copy_dir, original_dir = paths
    inside = [f for f in frames or () if f.filename.startswith(copy_dir)]
    if not inside:
        return None
    f = inside[-1]
    return {"file": f.filename.replace(copy_dir, original_dir), "line": f.lineno or 0,
            "code": (f.line or "").strip()[:200], "function": f.name}


# Operations a GPU accepts with a CPU tensor beside a CUDA one: indexing by CPU indices,
# copies and moves between devices. Every other operation that meets an n-dim CPU tensor and
# a meta one would fail on a GPU, even where a meta kernel (matmul, linear) lets it pass.
_MAY_MIX = frozenset({"Tensor.__getitem__", "Tensor.__setitem__", "Tensor.copy_", "Tensor.to", "Tensor.type_as",
                      "Tensor.index_put_", "Tensor.new_tensor", "Tensor.__repr__", "Tensor.__format__"})


# Messages that already are device evidence (grader.checks.device judges them).
_EVIDENCE = ("is not on the expected device", "Expected all tensors to be on the same device",
             "device type tensor to numpy")


def _mixes(args: Any, kwargs: Any) -> bool:
    """Whether a call's tensor arguments hold both a meta tensor and an n-dim CPU tensor
    (a 0-dim CPU tensor is a scalar, which a GPU also accepts)."""
    seen_meta = seen_cpu = False
    for value in (*args, *(kwargs or {}).values()):
        for t in value if isinstance(value, (list, tuple)) else (value,):
            if isinstance(t, torch.Tensor):
                seen_meta = seen_meta or t.device.type == "meta"
                seen_cpu = seen_cpu or (t.device.type == "cpu" and t.dim() > 0)
    return seen_meta and seen_cpu


class _Watch(TorchFunctionMode):
    """Records where the student's code makes a CPU tensor, and the torch call running last."""

    def __init__(self, paths: tuple[str, str]) -> None:
        super().__init__()
        self.paths = paths
        self.created: list[dict[str, Any]] = []
        self.mixed: list[dict[str, Any]] = []
        self.current = ""

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        name = _name_of(func)
        self.current = name
        if not self.mixed and name not in _MAY_MIX and _mixes(args, kwargs):
            self.mixed.append({"what": name, **(self._caller() or {})})
        result = func(*args, **(kwargs or {}))
        if len(self.created) < MAX_CREATED and any(t.device.type == "cpu" for _, t in tensors_in(result)):
            frame = self._caller()
            if frame is not None:
                self.created.append({"what": name, **frame})
        return result

    def _caller(self) -> dict[str, Any] | None:
        copy_dir = self.paths[0]
        frame = sys._getframe(2)
        while frame is not None and not frame.f_code.co_filename.startswith(copy_dir):
            frame = frame.f_back
        if frame is None:
            return None
        summary = traceback.FrameSummary(frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name,
                                         line=linecache.getline(frame.f_code.co_filename, frame.f_lineno))
        return _student_frame([summary], self.paths)


def _name_of(func: Any) -> str:
    owner = getattr(func, "__objclass__", None) or getattr(func, "__self__", None)
    name = getattr(func, "__name__", "") or type(func).__name__
    if owner is torch.Tensor or getattr(owner, "__name__", "") in ("TensorBase", "Tensor"):
        return f"Tensor.{name}"
    module = getattr(func, "__module__", "") or ""
    if module.startswith("torch.nn.functional"):
        return f"F.{name}"
    return f"torch.{name}" if name else "a torch function"


def run_on_meta(fn: Callable[..., Any], args: list[Any], kwargs: dict[str, Any],
                paths: tuple[str, str],
                follow_inputs: Callable[..., dict[str, Any]] | None = None) -> dict[str, Any]:
    """Call ``fn`` once with every tensor argument on meta; the report of the module docstring.

    ``follow_inputs`` (``grader.sandbox.provenance.run_tracking_inputs``, passed in by the
    worker so the two modules do not import each other) runs where meta stops short."""
    try:
        meta_args, meta_kwargs = _to_meta(list(args)), _to_meta(dict(kwargs))
    except _CannotMove as exc:
        return {"status": "skipped", "reason": str(exc)}
    watch = _Watch(paths)
    try:
        with watch:
            value = fn(*meta_args, **meta_kwargs)
    except BaseException as exc:  # noqa: BLE001 - whatever it raised is evidence to judge
        frames = traceback.extract_tb(exc.__traceback__)
        lines = traceback.format_exception_only(type(exc), exc)
        message = lines[-1].strip() if lines else type(exc).__name__
        report = {"status": "raised", "call": watch.current, "created": watch.created, "mixed": watch.mixed,
                  "frame": _student_frame(frames, paths),
                  "error": {"type": type(exc).__name__, "types": [c.__name__ for c in type(exc).__mro__],
                            "message": message.replace(paths[0], paths[1])[:1000]}}
        if follow_inputs is not None and not watch.mixed and not any(m in message for m in _EVIDENCE):
            # Stopped where meta cannot go (a value read, a data-dependent shape, no meta
            # kernel): follow the inputs on the CPU instead (grader.sandbox.provenance).
            report["tracked"] = follow_inputs(fn, args, kwargs, paths)
        return report
    return {"status": "returned", "created": watch.created, "mixed": watch.mixed,
            "misplaced": [[where, str(t.device)] for where, t in tensors_in(value) if t.device.type != "meta"][:5]}
