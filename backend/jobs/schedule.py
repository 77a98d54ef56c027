"""Periodic jobs, declared as data. `flask scheduler` registers each with RQ's CronScheduler."""

from collections.abc import Callable
from dataclasses import dataclass

from backend.jobs import heartbeat
from backend.money import jobs as money_jobs
from backend.orders import jobs as order_jobs
from backend.planning import jobs as planning
from backend.tracking import jobs as tracking
from backend.webhooks import jobs as webhook_jobs
from backend.workforce import jobs as workforce


@dataclass(frozen=True)
class Periodic:
    func: Callable
    interval: int | None = None  # seconds
    cron: str | None = None  # UTC cron string, for daily work


PERIODIC_JOBS = (
    Periodic(heartbeat.beat, interval=30),
    Periodic(workforce.expire_skills, cron="5 16 * * *"),  # daily, 00:05 China Standard Time
    Periodic(order_jobs.assignment_timeouts, interval=15),
    Periodic(order_jobs.expire_orders, interval=60),
    Periodic(order_jobs.flag_sla_breaches, interval=60),
    Periodic(order_jobs.purge_idempotency_keys, interval=3600),
    Periodic(webhook_jobs.sweep, interval=30),
    Periodic(tracking.expire_presence, interval=30),
    Periodic(tracking.maintain_partitions, cron="20 16 * * *"),  # daily, 00:20 China Standard Time
    Periodic(planning.replan_changed_regions, interval=60),
    Periodic(money_jobs.close_days, interval=60),  # each client's day closes at 23:59 in its time zone
    Periodic(money_jobs.confirm_windows, interval=300),
)


def register_all(scheduler):
    for item in PERIODIC_JOBS:
        scheduler.register(
            item.func,
            queue_name=item.func.spec.queue,
            interval=item.interval,
            cron=item.cron,
            job_timeout=item.func.spec.timeout,
        )
