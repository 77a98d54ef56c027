"""Pieces of one search run side by side in forked processes (``Params.search_workers``).

What all pieces share (a PyVRP model, the parts of a day) reaches the children through
memory at fork time; only the small per-piece arguments and the results are pickled.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Sequence

_SHARED: tuple[Callable, object] | None = None


def fork_is_safe() -> bool:
    """Whether this process may fork workers: no other Python thread is alive.

    A child forked while another thread holds a lock (logging, a socket client, a connection
    pool) inherits the lock held and waits on it forever; the full test suite hung exactly so
    after integration tests had left threads behind. Solvers then run on one process instead.
    """
    return threading.active_count() == 1


def fork_map(fn: Callable, shared, args: Sequence[tuple], workers: int) -> list:
    """``[fn(shared, *a) for a in args]``, computed by ``workers`` forked processes."""
    global _SHARED
    _SHARED = (fn, shared)
    try:
        with multiprocessing.get_context("fork").Pool(workers, initializer=_default_signals) as pool:
            return pool.starmap(_call, args, chunksize=1)
    finally:
        _SHARED = None


def _default_signals():
    """A child dies on SIGTERM and SIGINT whatever handlers its parent had installed: the pool
    stops its children with SIGTERM, and a handler that does not exit (an in-process RQ
    ``SimpleWorker`` leaves its warm-shutdown handler behind) would leave the pool waiting on
    them forever."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _call(*args):
    fn, shared = _SHARED
    return fn(shared, *args)
