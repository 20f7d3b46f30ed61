"""The reference solution, memoised per input, so its cost does not grow with the class size.

Inputs are deterministic per test, so every submission of a batch meets the same cases; the
reference answers each once per grading process. The key is the wire encoding of the call
(function name and arguments), i.e. exactly the data. A call whose arguments are not plain
data (a model object) or are stateful (a ``torch.Generator``, which the call advances) is not
cached. Answers are deep-copied out, so a test that modifies one cannot change the cache.
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Callable
from types import ModuleType
from typing import Any

import torch

from grader.checks.copying import fresh
from grader.sandbox import wire

MAX_ENTRIES = 50_000

# Keys of the answers given while a recording is on (the driver records each test's run): the
# answers a passing run needed are what the persisted corpus keeps, not those a failing
# student's shrinking asked for.
_recording: set[bytes] | None = None


def start_recording() -> None:
    global _recording
    _recording = set()


def stop_recording() -> set[bytes]:
    global _recording
    keys, _recording = _recording or set(), None
    return keys


def _note(key: bytes) -> None:
    if _recording is not None:
        _recording.add(key)


def _has_state(value: Any) -> bool:
    if isinstance(value, torch.Generator):
        return True
    if isinstance(value, (list, tuple)):
        return any(_has_state(v) for v in value)
    if isinstance(value, dict):
        return any(_has_state(v) for v in value.values())
    return False


def _copy_state(value: Any) -> Any:
    """``value`` with every ``torch.Generator`` in it replaced by a copy in the same state."""
    if isinstance(value, torch.Generator):
        copy = torch.Generator(device=value.device)
        copy.set_state(value.get_state())
        return copy
    if isinstance(value, list):
        return [_copy_state(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_copy_state(v) for v in value)
    if isinstance(value, dict):
        return {k: _copy_state(v) for k, v in value.items()}
    return value


class CachedReference:
    """Stands for a reference module; its functions answer from the cache when they can."""

    def __init__(self, module: ModuleType) -> None:
        self._module = module
        self._cache: OrderedDict[bytes, Any] = OrderedDict()
        self._wrapped: dict[str, Callable[..., Any]] = {}
        self._times: dict[bytes, float] = {}
        self.hits = 0
        self.misses = 0

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        defined_here = getattr(value, "__module__", None) == self._module.__name__
        if not callable(value) or isinstance(value, type) or not defined_here:
            return value
        if name not in self._wrapped:
            self._wrapped[name] = self._memoised(name, value)
        return self._wrapped[name]

    def call_time_s(self, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> float | None:
        """Seconds the reference's ``name`` takes on these arguments, measured once per process on
        a copy of them; None where it cannot be timed (no such function, not plain data).

        The answer of a stateless call is cached as the memoised call would cache it, so the
        test body's own call of the reference on the same arguments then costs nothing.
        """
        fn = getattr(self._module, name, None)
        if not callable(fn) or isinstance(fn, type):
            return None
        try:
            key = hashlib.sha256(wire.encode({"fn": name, "args": list(args), "kwargs": kwargs})).digest()
        except (wire.WireError, TypeError, ValueError):
            return None
        if key in self._times:
            _note(key)
            return self._times[key]
        stateful = _has_state((args, kwargs))
        call_args, call_kwargs = _copy_state(fresh(list(args))), _copy_state(fresh(dict(kwargs)))
        started = time.perf_counter()
        try:
            result = fn(*call_args, **call_kwargs)
            raised = False
        except Exception:  # noqa: BLE001 - the time to refuse the arguments is a time too
            result, raised = None, True
        if torch.cuda.is_available() and torch.cuda.is_initialized():
            torch.cuda.synchronize()
        elapsed = time.perf_counter() - started
        self._times[key] = elapsed
        if not (raised or stateful):
            _note(key)
            if key not in self._cache:
                self._cache[key] = fresh(result)
                if len(self._cache) > MAX_ENTRIES:
                    self._cache.popitem(last=False)
        return elapsed

    def answers(self, keys: set[bytes]) -> dict[bytes, Any]:
        """The answers held of ``keys``, by call key, not copies."""
        return {k: v for k, v in self._cache.items() if k in keys}

    def absorb(self, answers: dict[bytes, Any]) -> None:
        """Hold answers computed elsewhere (the corpus); an answer computed here is kept."""
        for key, value in answers.items():
            self._cache.setdefault(key, value)
        while len(self._cache) > MAX_ENTRIES:
            self._cache.popitem(last=False)

    def _memoised(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if _has_state((args, kwargs)):
                return fn(*args, **kwargs)
            try:
                key = hashlib.sha256(wire.encode({"fn": name, "args": list(args), "kwargs": kwargs})).digest()
            except (wire.WireError, TypeError, ValueError):
                return fn(*args, **kwargs)
            _note(key)
            if key in self._cache:
                self.hits += 1
                self._cache.move_to_end(key)
                return fresh(self._cache[key])
            self.misses += 1
            result = fn(*args, **kwargs)
            self._cache[key] = fresh(result)
            if len(self._cache) > MAX_ENTRIES:
                self._cache.popitem(last=False)
            return result

        call.__name__ = name
        call.__doc__ = fn.__doc__
        return call
