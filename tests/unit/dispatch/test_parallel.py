"""Forked search workers (dispatch.parallel)."""

import signal

from dispatch.parallel import fork_map


def _default_handlers(_shared, _k):
    return signal.getsignal(signal.SIGTERM) == signal.SIG_DFL and signal.getsignal(signal.SIGINT) == signal.SIG_DFL


def test_workers_die_on_sigterm_whatever_handlers_the_host_installed():
    """An in-process RQ SimpleWorker (the integration tests' run_jobs) leaves its warm-shutdown
    handler behind; the pool stops its children with SIGTERM at the end of every map, and
    children that inherit that handler instead of dying once hung the suite."""
    before = signal.signal(signal.SIGTERM, lambda *_: None)
    try:
        assert fork_map(_default_handlers, None, [(1,), (2,)], 2) == [True, True]
    finally:
        signal.signal(signal.SIGTERM, before)
