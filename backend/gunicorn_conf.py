"""gunicorn settings for the web process (see Procfile and README, 'Web server').

Socket.IO runs on WebSocket only (backend/realtime.py): a connection is one TCP stream,
so gevent workers share the port without sticky sessions and share rooms through the
Redis message queue. WEB_PROCESSES workers, by default half the cores (the rest is for
the track writer, PostgreSQL and Redis when they share the machine).
"""

import json
import os

from gunicorn import util

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
worker_class = "gevent"
workers = int(os.environ.get("WEB_PROCESSES") or max(1, (os.cpu_count() or 1) // 2))
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "2000"))
timeout = 60
# Flask-SocketIO must use the same concurrency model as the worker.
raw_env = ["SOCKETIO_ASYNC_MODE=gevent"]
accesslog = "-" if os.environ.get("ACCESS_LOG") else None
# The app refuses a header line over 8190 bytes with a 431 problem (backend/request_guard.py);
# gunicorn's own limit sits above it so that the app, not gunicorn, usually answers.
limit_request_field_size = 16384
# The web worker's garbage-collector thresholds (post_worker_init).
WEB_GC_THRESHOLDS = (10_000, 5, 100)


def write_problem(sock, status_int, reason, mesg):
    """gunicorn's answer to a request it cannot parse (431 for huge headers, 414 …), as RFC 9457
    problem details instead of its HTML page."""
    body = json.dumps(
        {"type": "about:blank", "title": reason, "status": status_int, "detail": mesg}, ensure_ascii=True
    ).encode()
    head = (
        f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
        f"Content-Type: application/problem+json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    util.write_nonblock(sock, head.encode("latin-1") + body)


util.write_error = write_problem  # workers/base.py calls util.write_error for unparseable requests


def post_fork(server, worker):
    # psycopg2 is a C driver: without this, every query would block the whole event loop.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


def post_worker_init(worker):
    # Full garbage collections over the whole app's objects stalled the event loop for up to
    # 1.5 s under tracking load (bench/tracking.py): freeze what is loaded now (never garbage).
    # A collection stops every greenlet for about 1 µs of CPU per object it scans, so the young
    # generations are kept small (GC_PAUSE_LOG_MS, 5,000 phones connecting: with 50,000 / 20 a
    # middle collection scanned up to a million objects, 0.7 to 0.9 s of CPU, a young one 47 ms).
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(*WEB_GC_THRESHOLDS)
    if os.environ.get("GC_PAUSE_LOG_MS"):
        _log_gc_pauses(worker.log, float(os.environ["GC_PAUSE_LOG_MS"]) / 1000)


def _log_gc_pauses(log, at_least_s):
    """GC_PAUSE_LOG_MS=N: log every collection of the worker that stops it N ms or more (the event
    loop waits for it; where the latency tail is looked for)."""
    import gc
    import time

    started = [0.0, 0.0]

    def on_collection(phase, info):
        if phase == "start":
            started[:] = time.perf_counter(), time.process_time()
            return
        paused = time.perf_counter() - started[0]
        if paused >= at_least_s:  # wall time, and the CPU of it (the rest: the process waited for a core)
            cpu = time.process_time() - started[1]
            log.info(
                "gc pause %.1f ms (cpu %.1f ms) generation %d collected %d",
                paused * 1000,
                cpu * 1000,
                info["generation"],
                info["collected"],
            )

    gc.callbacks.append(on_collection)
