"""gunicorn settings for the web process (see Procfile and README, 'Web server').

Socket.IO runs on WebSocket only (backend/realtime.py): a connection is one TCP stream,
so gevent workers share the port without sticky sessions and share rooms through the
Redis message queue. WEB_PROCESSES workers, by default half the cores (the rest is for
the track writer, PostgreSQL and Redis when they share the machine).
"""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
worker_class = "gevent"
workers = int(os.environ.get("WEB_PROCESSES") or max(1, (os.cpu_count() or 1) // 2))
worker_connections = int(os.environ.get("WEB_CONNECTIONS", "2000"))
timeout = 60
# Flask-SocketIO must use the same concurrency model as the worker.
raw_env = ["SOCKETIO_ASYNC_MODE=gevent"]
accesslog = "-" if os.environ.get("ACCESS_LOG") else None


def post_fork(server, worker):
    # psycopg2 is a C driver: without this, every query would block the whole event loop.
    from psycogreen.gevent import patch_psycopg

    patch_psycopg()


def post_worker_init(worker):
    # Full garbage collections over the whole app's objects stalled the event loop for up to
    # 1.5 s under tracking load (bench/tracking.py): freeze what is loaded now (never garbage)
    # and collect the young generation less often.
    import gc

    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
