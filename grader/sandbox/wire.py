"""The data-only wire format between the grader and a sandboxed worker.

A frame is ``len(header) (4 bytes, big endian) | header (JSON, UTF-8) | raw buffers``. The
header holds plain values; a tensor is a marker naming its dtype, shape, device and the
slice of the raw buffers holding its bytes. Decoding builds only ``None``, ``bool``,
``int``, ``float``, ``str``, ``list``, ``tuple``, ``dict``, ``torch.Tensor`` and
:class:`Opaque` (what stands for a value of any other type the worker returned). No pickle,
no import, no attribute lookup by name: a worker cannot run code in the grader by what it
sends, only send wrong numbers.

| marker                                            | decodes to                     |
|---------------------------------------------------|--------------------------------|
| ``{"$t": [dtype, shape, device, offset, nbytes]}``| ``torch.Tensor``               |
| ``{"$tuple": [...]}``                             | ``tuple``                      |
| ``{"$dict": [[key, value], ...]}``                | ``dict`` with non-string keys  |
| ``{"$build": [module_path, factory, data]}``      | a BuildSpec (grader to worker) |
| ``{"$dtype": "float64"}``                         | ``torch.dtype``                |
| ``{"$gen": [device, state tensor marker]}``       | ``torch.Generator`` (same state;|
|                                                   | on another device, seeded by it)|
| ``{"$f": "nan" | "inf" | "-inf"}``                | a non-finite ``float``         |
| ``{"$opaque": [type_name, repr]}``                | :class:`Opaque`                |
"""

from __future__ import annotations

import hashlib
import json
import math
import struct
from dataclasses import dataclass
from typing import Any

import torch

from grader.checks.built import BuildSpec
from grader.untrusted import clean_name, clean_text

# A string a worker sends (a returned value, a dict key) is the student's text: it is cleaned
# (valid UTF-8, no control characters) and capped at this length when decoded in the grader.
UNTRUSTED_STRING_LIMIT = 100_000

MAX_FRAME_BYTES = 1 << 30  # a frame larger than this is refused (a student's 1 GB answer)
MAX_DEPTH = 100

_DTYPES: dict[str, torch.dtype] = {
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "uint8": torch.uint8,
    "bool": torch.bool,
}
_DTYPE_NAMES = {v: k for k, v in _DTYPES.items()}
_PLAIN = frozenset({int, float, bool, type(None)})
_ITEMSIZE = {d: torch.empty((), dtype=d).element_size() for d in _DTYPES.values()}


class WireError(Exception):
    """A frame does not follow the format (a worker sent garbage or too much)."""


@dataclass(frozen=True)
class Opaque:
    """A value of a type the wire does not carry, known only by its type name and repr."""

    type_name: str
    text: str

    def __repr__(self) -> str:
        return f"<{self.type_name}: {self.text}>"


def _tensor_bytes(t: torch.Tensor) -> bytes:
    flat = t.detach().to("cpu").contiguous().reshape(-1)
    if flat.numel() == 0:
        return b""
    return flat.view(torch.uint8).numpy().tobytes()


class _Encoder:
    def __init__(self, *, lenient: bool) -> None:
        self.lenient = lenient  # the worker's side: unknown types become Opaque instead of failing
        self.buffers: list[bytes] = []
        self.offset = 0

    def tensor(self, t: torch.Tensor) -> dict[str, Any]:
        name = _DTYPE_NAMES.get(t.dtype)
        if name is None:
            return self.other(t)
        blob = _tensor_bytes(t)
        marker = {"$t": [name, list(t.shape), str(t.device), self.offset, len(blob)]}
        self.buffers.append(blob)
        self.offset += len(blob)
        return marker

    def other(self, value: Any) -> dict[str, Any]:
        if not self.lenient:
            raise WireError(f"cannot send a value of type {type(value).__name__}")
        try:
            text = repr(value)[:300]
        except BaseException:  # a hostile __repr__ must not stop the answer
            text = "<unprintable>"
        return {"$opaque": [f"{type(value).__module__}.{type(value).__qualname__}", text]}

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        kind = type(value)
        if value is None or kind is bool or kind is str:
            return value
        if kind is int:
            return value
        if kind is float:
            return value if math.isfinite(value) else {"$f": repr(value)}
        if isinstance(value, torch.Tensor):
            return self.tensor(value)
        if kind is list:
            return [self.encode(v, depth + 1) for v in value]
        if kind is tuple:
            return {"$tuple": [self.encode(v, depth + 1) for v in value]}
        if kind is dict:
            if all(type(k) is str and not k.startswith("$") for k in value):
                return {k: self.encode(v, depth + 1) for k, v in value.items()}
            return {"$dict": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if kind is BuildSpec:
            return {"$build": [value.module_path, value.factory, self.encode(value.data, depth + 1)]}
        if kind is torch.dtype and value in _DTYPE_NAMES:
            return {"$dtype": _DTYPE_NAMES[value]}
        if kind is torch.Generator:
            return {"$gen": [str(value.device), self.tensor(value.get_state())]}
        return self.other(value)


def encode(value: Any, *, lenient: bool = False) -> bytes:
    """One frame holding ``value``. ``lenient`` (the worker's side) sends unknown types as Opaque."""
    encoder = _Encoder(lenient=lenient)
    header = json.dumps(encoder.encode(value), allow_nan=False, separators=(",", ":")).encode()
    return struct.pack(">I", len(header)) + header + b"".join(encoder.buffers)


class _Decoder:
    def __init__(self, body: memoryview, *, device: str | None, allow_build: bool, untrusted: bool) -> None:
        self.body = body
        self.device = device
        self.allow_build = allow_build
        self.untrusted = untrusted
        # What decodes to itself: a list of only these is the parsed list (fresh from JSON).
        self.plain = _PLAIN if untrusted else _PLAIN | {str}

    def tensor(self, spec: Any) -> torch.Tensor:
        if not (type(spec) is list and len(spec) == 5):
            raise WireError("bad tensor marker")
        dtype_name, shape, device, offset, nbytes = spec
        dtype = _DTYPES.get(dtype_name) if type(dtype_name) is str else None
        if dtype is None:
            raise WireError(f"unknown dtype {dtype_name!r}")
        if not (type(shape) is list and all(type(s) is int and s >= 0 for s in shape)):
            raise WireError("bad tensor shape")
        if not (type(offset) is int and type(nbytes) is int and 0 <= offset and 0 <= nbytes):
            raise WireError("bad tensor extent")
        if offset + nbytes > len(self.body):
            raise WireError("tensor extends past the frame")
        if math.prod(shape) * _ITEMSIZE[dtype] != nbytes:
            raise WireError(f"tensor of shape {shape} and dtype {dtype_name} cannot hold {nbytes} bytes")
        if nbytes:
            t = torch.frombuffer(bytearray(self.body[offset:offset + nbytes]), dtype=dtype).reshape(shape)
        else:
            t = torch.empty(shape, dtype=dtype)
        target = self.device if self.device is not None else _checked_device(device)
        return t.to(target) if target != "cpu" else t

    def decode(self, node: Any, depth: int = 0) -> Any:
        # Dispatch on the exact type: JSON gives only these, and this runs for every node of
        # every reply and corpus file.
        if depth > MAX_DEPTH:
            raise WireError("value nested too deeply")
        kind = type(node)
        if kind is str:
            return clean_text(node, limit=UNTRUSTED_STRING_LIMIT) if self.untrusted else node
        if kind is int or kind is float or kind is bool or node is None:
            return node
        if kind is list:
            # Numbers only (shapes, strides): the parsed list as it is, where its items are
            # within the depth limit (a non-empty list's items sit one level deeper).
            if depth < MAX_DEPTH and self.plain.issuperset(map(type, node)):
                return node
            return [self.decode(v, depth + 1) for v in node]
        if kind is dict:
            if len(node) == 1:
                ((key, payload),) = node.items()
                if key.startswith("$"):
                    return self.marker(key, payload, depth)
            if any(k.startswith("$") for k in node):
                raise WireError("unknown marker in a mapping")
            return {self.decode(k, depth + 1): self.decode(v, depth + 1) for k, v in node.items()}
        raise WireError(f"unexpected JSON node {kind.__name__}")

    def marker(self, key: str, payload: Any, depth: int) -> Any:
        if key == "$t":
            return self.tensor(payload)
        if key == "$f":
            if payload not in ("nan", "inf", "-inf"):
                raise WireError("bad float marker")
            return float(payload)
        if key == "$tuple" and isinstance(payload, list):
            return tuple(self.decode(v, depth + 1) for v in payload)
        if key == "$dict" and isinstance(payload, list):
            out = {}
            for pair in payload:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise WireError("bad dict entry")
                k = self.decode(pair[0], depth + 1)
                if not isinstance(k, (str, int, float, bool, tuple, type(None))):
                    raise WireError("unhashable dict key")
                out[k] = self.decode(pair[1], depth + 1)
            return out
        if key == "$dtype":
            if not isinstance(payload, str) or payload not in _DTYPES:
                raise WireError(f"unknown dtype {payload!r}")
            return _DTYPES[payload]
        if key == "$gen" and isinstance(payload, list) and len(payload) == 2:
            source = _checked_device(payload[0])
            device = source if self.device is None else self.device
            state = self.marker("$t", payload[1].get("$t") if isinstance(payload[1], dict) else None, depth)
            generator = torch.Generator(device=device)
            if torch.device(source).type != torch.device(device).type:
                # A state belongs to its device's generator (CPU: Mersenne Twister, CUDA: Philox
                # seed and offset), so a suite's CPU generator sent to a CUDA worker is seeded
                # from its state instead: the same state gives the same stream, another state
                # another, which is all the suites rely on (they never compare draws across devices).
                seed = int.from_bytes(hashlib.sha256(_tensor_bytes(state)).digest()[:8], "little")
                return generator.manual_seed(seed)
            try:
                generator.set_state(state.cpu() if state.dtype == torch.uint8 else state)
            except (RuntimeError, TypeError) as exc:
                raise WireError(f"bad generator state: {exc}") from None
            return generator
        if key == "$opaque" and isinstance(payload, list) and len(payload) == 2:
            return Opaque(clean_name(payload[0]), clean_text(payload[1], limit=300))
        if key == "$build" and self.allow_build and isinstance(payload, list) and len(payload) == 3:
            data = self.decode(payload[2], depth + 1)
            if not (isinstance(payload[0], str) and isinstance(payload[1], str) and isinstance(data, dict)):
                raise WireError("bad build marker")
            return BuildSpec(payload[0], payload[1], data)
        raise WireError(f"unknown marker {key!r}")


def _checked_device(device: Any) -> str:
    if not isinstance(device, str) or not (device == "cpu" or device.startswith("cuda")):
        raise WireError(f"bad device {device!r}")
    return device


def decode(frame: bytes, *, device: str | None = None, allow_build: bool = False, untrusted: bool = False) -> Any:
    """The value in ``frame``; tensors land on ``device`` (default: the device named in the frame).

    Raises :class:`WireError` for anything malformed. ``allow_build`` is for the worker's
    side only: the grader never decodes a BuildSpec from a worker. ``untrusted`` (the
    grader's side, decoding what a worker sent): every string is cleaned on its way in
    (:func:`grader.untrusted.clean_text`).
    """
    if len(frame) > MAX_FRAME_BYTES:
        raise WireError(f"frame of {len(frame)} bytes is larger than {MAX_FRAME_BYTES}")
    if len(frame) < 4:
        raise WireError("frame too short")
    (n,) = struct.unpack(">I", frame[:4])
    if 4 + n > len(frame):
        raise WireError("header extends past the frame")
    try:
        header = json.loads(bytes(frame[4:4 + n]).decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise WireError(f"header is not JSON: {exc}") from None
    body = memoryview(frame)[4 + n:]
    try:
        return _Decoder(body, device=device, allow_build=allow_build, untrusted=untrusted).decode(header)
    except RecursionError:
        raise WireError("value nested too deeply") from None
