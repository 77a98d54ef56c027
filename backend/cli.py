"""Flask CLI commands: worker, scheduler, seed-demo, create-admin."""

import click
from flask import current_app

from backend.jobs import QUEUES
from backend.money.cli import money


def init_app(app):
    app.cli.add_command(worker)
    app.cli.add_command(scheduler)
    app.cli.add_command(seed_demo)
    app.cli.add_command(create_admin)
    app.cli.add_command(tracking_writer)
    app.cli.add_command(simulate)
    app.cli.add_command(money)


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
    from backend.seed import demo_city, demo_money, demo_technicians

    demo_city.seed(site_count=sites)
    demo_technicians.seed()
    demo_money.seed()


@click.command("create-admin")
@click.option("--email", required=True)
@click.option("--name", default="Platform admin")
@click.password_option()
def create_admin(email, name, password):
    """Create a platform admin (and the platform organization if missing)."""
    from backend.seed.demo_city import ensure_platform_user

    user = ensure_platform_user(email, name, password, role="platform_admin")
    click.echo(f"platform admin {user.email} (id {user.id})")


@click.command("tracking-writer")
@click.option("--consumer", default="writer-1", show_default=True, help="consumer name in the stream group")
@click.option("--batch", default=500, show_default=True, help="stream entries per INSERT")
def tracking_writer(consumer, batch):
    """Write queued track points to PostGIS in batches until stopped."""
    from backend.tracking import writer

    writer.run(consumer, count=batch)


@click.command()
@click.option("--technicians", "count", default=20, show_default=True, help="virtual technicians (demo seed)")
@click.option("--minutes", default=10.0, show_default=True, help="how long to run")
@click.option("--interval", default=5.0, show_default=True, help="seconds between fixes")
@click.option("--url", default=None, help="web process to connect to (default PUBLIC_BASE_URL)")
@click.option("--orders-per-minute", default=0.0, show_default=True, help="grab orders the demo client posts")
def simulate(count, minutes, interval, url, orders_per_minute):
    """Drive N demo technicians over Socket.IO: on shift, moving between sites, grabbing the demo
    client's orders, checking in and delivering."""
    from backend import simulator

    url = url or current_app.config["PUBLIC_BASE_URL"]
    simulator.run(count, minutes, interval, url, orders_per_minute=orders_per_minute)
