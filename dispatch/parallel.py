"""Pieces of one search run side by side in forked processes (``Params.search_workers``).

What all pieces share (a PyVRP model, the parts of a day) reaches the children through
memory at fork time; only the small per-piece arguments and the results are pickled.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence

_SHARED: tuple[Callable, object] | None = None


def fork_map(fn: Callable, shared, args: Sequence[tuple], workers: int) -> list:
    """``[fn(shared, *a) for a in args]``, computed by ``workers`` forked processes."""
    global _SHARED
    _SHARED = (fn, shared)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            return pool.starmap(_call, args, chunksize=1)
    finally:
        _SHARED = None


def _call(*args):
    fn, shared = _SHARED
    return fn(shared, *args)
