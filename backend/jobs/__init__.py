"""RQ jobs. One module per job family; `job()` fixes each one's queue and timeout.

Jobs take ids, never ORM objects, and run inside the app context of the worker
(started by `flask worker`).
"""

from dataclasses import dataclass
from functools import wraps

from rq import Queue

from backend.redis_client import get_redis

QUEUES = ("high", "default", "dispatch", "webhooks", "maintenance")


def queue(name: str) -> Queue:
    return Queue(name, connection=get_redis())


@dataclass(frozen=True)
class JobSpec:
    queue: str
    timeout: int
    retries: int


def job(queue_name="default", *, timeout=300, retries=0):
    """Declare a job: `fn.enqueue(*args)` puts it on its queue with its limits."""
    spec = JobSpec(queue_name, timeout, retries)

    def decorator(fn):
        @wraps(fn)
        def enqueue(*args, **kwargs):
            from rq import Retry

            retry = Retry(max=spec.retries, interval=[10, 60, 300]) if spec.retries else None
            return queue(spec.queue).enqueue(fn, *args, job_timeout=spec.timeout, retry=retry, **kwargs)

        fn.enqueue = enqueue
        fn.spec = spec
        return fn

    return decorator
