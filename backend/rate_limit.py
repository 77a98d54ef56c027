"""Fixed-window rate limits in Redis (OWASP API4)."""

from backend.errors import fail
from backend.redis_client import get_redis


def hit(key: str, limit: int, window_seconds: int, *, what="requests"):
    """Count one call; answer 429 with Retry-After once the window's limit is passed."""
    redis_key = f"gridwork:rate:{key}"
    pipe = get_redis().pipeline()
    pipe.incr(redis_key)
    pipe.expire(redis_key, window_seconds, nx=True)
    pipe.ttl(redis_key)
    count, _, ttl = pipe.execute()
    if count > limit:
        fail(429, f"too many {what}; try again in {ttl} s", kind="rate-limited", retry_after=ttl)
