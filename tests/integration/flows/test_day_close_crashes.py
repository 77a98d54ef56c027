"""The day close interrupted and run again: an injected failure after the records are written
(before the close is committed), and the worker killed at that point. The rerun writes exactly
the records an uninterrupted close writes (same digests), once; a third close writes nothing."""

import os
import signal
import subprocess
import sys
import textwrap
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from backend.extensions import db
from backend.models import DailyWorkRecord, Order, OrderEvent, Organization
from backend.money import daily, records
from backend.orders.points import card_for
from tests.integration.flows.books import money_card, wait_until

DAY = date(2026, 12, 1)
AFTER_CUTOFF = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)  # 00:05 Beijing, the next day


class Injected(Exception):
    pass


@pytest.fixture
def client_day(app, factory):
    """A client with money terms and three technicians' verified orders on DAY (Beijing)."""
    org = factory.org("Close")
    money_card(app, org)
    technicians = [factory.technician() for _ in range(3)]
    with app.app_context():
        card_id = card_for(org).id
        for i in range(9):
            order = Order(
                org_id=org,
                client_ref=f"c-{i}",
                kind="project",
                status="verified",
                work_type="repair",
                technician_id=technicians[i % 3],
                points_centi=1_000 + i * 100,
            )
            order.rate_card_id = card_id
            db.session.add(order)
            db.session.flush()
            db.session.add(
                OrderEvent(
                    order_id=order.id,
                    action="verified",
                    from_status="delivered",
                    to_status="verified",
                    actor_kind="user",
                    created_at=datetime(2026, 12, 1, 2 + i, tzinfo=UTC),
                )
            )
        db.session.commit()
    return org


def expected_digests(app, org_id):
    with app.app_context():
        return sorted(daily.sealed(body) for body in records.day_bodies(db.session.get(Organization, org_id), DAY))


def stored_digests(app, org_id):
    with app.app_context():
        return sorted(db.session.scalars(select(DailyWorkRecord.digest).where(DailyWorkRecord.org_id == org_id)))


def close(app, org_id):
    with app.app_context():
        result = records.close_day(org_id, DAY, now=AFTER_CUTOFF)
        db.session.commit()
        return result


def test_a_close_failing_before_its_commit_leaves_nothing_and_the_rerun_writes_the_day_once(
    app, client_day, monkeypatch
):
    expected = expected_digests(app, client_day)
    assert len(expected) == 3

    def fail(*_args):
        raise Injected("after the records were written")

    monkeypatch.setattr(records, "announce", fail)
    with app.app_context():
        with pytest.raises(Injected):
            records.close_day(client_day, DAY, now=AFTER_CUTOFF)
        db.session.rollback()
    assert stored_digests(app, client_day) == []
    monkeypatch.undo()
    assert close(app, client_day).records == 3
    assert close(app, client_day).already_closed
    assert stored_digests(app, client_day) == expected


KILLED_CLOSE = textwrap.dedent(
    """
    import sys, time
    from datetime import UTC, date, datetime
    from backend.app import create_app
    from backend.extensions import db
    from backend.money import records

    written = records.insert_records

    def write_then_hang(*args, **kwargs):
        rows = written(*args, **kwargs)
        db.session.flush()
        print("PAUSED", flush=True)
        time.sleep(120)
        return rows

    records.insert_records = write_then_hang
    app = create_app({"GRIDWORK_ENV": "testing", "SOCKETIO_MESSAGE_QUEUE": False})
    with app.app_context():
        records.close_day(int(sys.argv[1]), date(2026, 12, 1), now=datetime(2026, 12, 1, 16, 5, tzinfo=UTC))
        db.session.commit()
    """
)


def test_a_close_worker_killed_mid_job_leaves_nothing_and_the_rerun_writes_the_day_once(app, client_day, tmp_path):
    expected = expected_digests(app, client_day)
    out = tmp_path / "close.out"
    with open(out, "w") as sink:
        worker = subprocess.Popen(
            [sys.executable, "-c", KILLED_CLOSE, str(client_day)],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env={**os.environ, "GRIDWORK_ENV": "testing"},
        )
    try:
        wait_until(lambda: "PAUSED" in out.read_text() or worker.poll() is not None, timeout=60)
        assert "PAUSED" in out.read_text(), out.read_text()
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    assert stored_digests(app, client_day) == []
    assert close(app, client_day).records == 3  # waits for the killed session's advisory lock to go
    assert close(app, client_day).already_closed
    assert stored_digests(app, client_day) == expected
