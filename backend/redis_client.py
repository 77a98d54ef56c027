"""The Redis connection shared by the app: live state, rate limits, RQ."""

from flask import current_app
from redis import BlockingConnectionPool, Redis

MAX_CONNECTIONS = 64


def init_app(app):
    # Blocking pool: under a burst, greenlets wait for a free connection instead of failing
    # with "Too many connections" (the default pool raises).
    pool = BlockingConnectionPool.from_url(app.config["REDIS_URL"], max_connections=MAX_CONNECTIONS, timeout=20)
    app.extensions["redis"] = Redis(connection_pool=pool)


def get_redis() -> Redis:
    return current_app.extensions["redis"]
