"""The track writer: drains the Redis stream into PostGIS in batches (`flask tracking-writer`).

Socket handlers never wait for the database: they XADD and acknowledge. This loop reads
up to `count` stream entries at a time (each a phone's batch), COPYs their rows into a
temporary table and moves them into track_points with one INSERT ... SELECT ... ON CONFLICT
DO NOTHING (store.write_rows), then XACKs and deletes them. Several
writers may run (different consumer names); a crashed writer's pending entries are
read again by a writer started with the same name.
"""

import logging
import signal
import time

from backend.tracking import store

log = logging.getLogger(__name__)


def run(consumer: str = "writer-1", count: int = 500, idle_exit_s: float | None = None) -> int:
    """Write until stopped (SIGTERM/SIGINT), or until idle for idle_exit_s; returns rows written."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    store.ensure_group()
    store.ensure_partitions_ahead()
    total, idle_since = 0, time.monotonic()
    while not stopping:
        written = store.drain_once(consumer, count=count)
        total += written
        if written:
            idle_since = time.monotonic()
        elif idle_exit_s is not None and time.monotonic() - idle_since > idle_exit_s:
            break
    log.info("tracking writer %s stopped after %d rows", consumer, total)
    return total


def drain_all(consumer: str = "writer-1") -> int:
    """Write everything queued now and return (tests, benchmarks)."""
    store.ensure_group()
    total = 0
    while written := store.drain_once(consumer, count=1000, block_ms=50):
        total += written
    return total
