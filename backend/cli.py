"""Flask CLI commands: worker, scheduler, seed-demo, create-admin."""

import click
from flask import current_app

from backend.jobs import QUEUES


def init_app(app):
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)


@click.command()
@click.argument("queues", nargs=-1)
def worker(queues):
    """Run an RQ worker (with the app context) on the named queues, highest first."""
    from rq import Worker

    from backend.jobs import queue

    names = queues or QUEUES
    Worker([queue(n) for n in names], connection=current_app.extensions["redis"]).work(with_scheduler=True)


@click.command()
def scheduler():
    """Enqueue the periodic jobs declared in backend/jobs/schedule.py."""
    from rq.cron import CronScheduler

    from backend.jobs.schedule import register_all

    cron = CronScheduler(connection=current_app.extensions["redis"])
    register_all(cron)
    cron.start()


@click.command("seed-demo")
@click.option("--sites", default=300, show_default=True, help="how many sites to place")
def seed_demo(sites):
    """Build the demo city (idempotent: a second run changes nothing)."""
    from backend.seed import demo_city

    demo_city.seed(site_count=sites)


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Platform admin")
@click.password_option()
def create_admin(email, name, password):
    """Create a platform admin (and the platform organization if missing)."""
    from backend.seed.demo_city import ensure_platform_user

    user = ensure_platform_user(email, name, password, role="platform_admin")
    click.echo(f"platform admin {user.email} (id {user.id})")
