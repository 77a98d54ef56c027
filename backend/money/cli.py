"""`flask money ...`: close a client day by hand, confirm overdue records."""

from datetime import date

import click
from flask.cli import AppGroup

from backend.extensions import db
from backend.money import jobs, records

money = AppGroup("money", help="Daily work records and money.")


@money.command("close-day")
@click.option("--date", "day", required=True, type=click.DateTime(formats=["%Y-%m-%d"]), help="the client's local day")
@click.option("--org", "org_id", type=int, default=None, help="one client organization (default: every client)")
def close_day(day, org_id):
    """Write the day's daily work records (nothing for a day already closed)."""
    work_date: date = day.date()
    org_ids = [org_id] if org_id else records.client_ids()
    for one in org_ids:
        result = records.close_day(one, work_date)
        db.session.commit()
        state = "already closed" if result.already_closed else f"{result.records} record(s) written"
        click.echo(f"org {one} {work_date}: {state}")


@money.command("confirm-overdue")
def confirm_overdue():
    """Record the client's confirmation of records whose window has passed."""
    click.echo(f"{jobs.confirm_windows()} record(s) confirmed for their client by the window")
