"""The Redis connection shared by the app: live state, rate limits, RQ."""

from flask import current_app
from redis import Redis


def init_app(app):
    app.extensions["redis"] = Redis.from_url(app.config["REDIS_URL"])


def get_redis() -> Redis:
    return current_app.extensions["redis"]
