"""Work spread over processes forked from this one (fingerprints, pair pages).

The workers inherit what :data:`SHARED` holds when they fork (the handouts' fingerprints):
nothing of it goes through pickle, and no module is imported again. Only our own small
results come back. Where ``fork`` is not available, or the work is small, it runs here.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["SHARED", "map_forked"]

SHARED: dict[str, Any] = {}
_MIN_ITEMS = 16  # fewer than this: forking costs more than it saves

T = TypeVar("T")
R = TypeVar("R")


def map_forked(function: Callable[[T], R], items: Iterable[T], jobs: int, shared: dict[str, Any]) -> Iterator[R]:
    """``function`` over ``items``, in order, on ``jobs`` processes that see ``shared`` in :data:`SHARED`."""
    items = list(items)
    SHARED.update(shared)
    try:
        if jobs <= 1 or len(items) < _MIN_ITEMS or "fork" not in multiprocessing.get_all_start_methods():
            for item in items:
                yield function(item)
            return
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            yield from pool.map(function, items, chunksize=max(1, min(8, len(items) // (4 * jobs))))
    finally:
        for key in shared:
            SHARED.pop(key, None)
