"""Periodic jobs, declared as data. `flask scheduler` registers each with RQ's CronScheduler."""

from dataclasses import dataclass
from typing import Callable

from backend.jobs import heartbeat


@dataclass(frozen=True)
class Periodic:
    func: Callable
    interval: int | None = None  # seconds
    cron: str | None = None  # UTC cron string, for daily work


PERIODIC_JOBS = (Periodic(heartbeat.beat, interval=30),)


def register_all(scheduler):
    for item in PERIODIC_JOBS:
        scheduler.register(
            item.func, queue_name=item.func.spec.queue, interval=item.interval, cron=item.cron,
            job_timeout=item.func.spec.timeout,
        )
