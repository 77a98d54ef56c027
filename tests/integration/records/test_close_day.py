"""Closing a client's day at 23:59 local: one record per technician, time zones, the cut-off,
idempotency, pricing, shares, digest, the webhook, the job and the CLI."""

from datetime import date

import pytest
from sqlalchemy import func, select

from backend.errors import Conflict
from backend.extensions import db
from backend.models import DailyWorkRecord, WebhookDelivery, WebhookEndpoint
from backend.money import daily, jobs, records
from tests.integration.records.conftest import utc

DAY = date(2026, 12, 1)
AFTER_CLOSE = utc(2026, 12, 1, 16, 0)  # 00:00 on Dec 2 in Shanghai (UTC+8)


def close(app, org_id, day=DAY, now=AFTER_CLOSE):
    with app.app_context():
        result = records.close_day(org_id, day, now)
        db.session.commit()
        return result


def live_records(app, org_id):
    with app.app_context():
        rows = db.session.scalars(
            select(DailyWorkRecord).where(DailyWorkRecord.org_id == org_id).order_by(DailyWorkRecord.technician_id)
        ).all()
        db.session.expunge_all()
        return rows


def test_the_day_runs_from_2359_to_2359_local(app, world):
    inside = world.verified_order(world.tech, utc(2026, 11, 30, 16, 0))  # 00:00 Dec 1 local
    late = world.verified_order(world.tech, utc(2026, 12, 1, 15, 59, 30))  # 23:59:30 Dec 1 local -> Dec 2
    world.verified_order(world.tech, utc(2026, 11, 30, 15, 58))  # 23:58 Nov 30 local -> Nov 30

    assert close(app, world.org).records == 1
    (record,) = live_records(app, world.org)
    assert [line["order_id"] for line in record.lines] == [inside]
    assert record.work_date == DAY and record.version == 1 and record.state == "pending_confirmation"

    close(app, world.org, date(2026, 12, 2), utc(2026, 12, 2, 16, 0))
    with app.app_context():
        next_day = db.session.scalar(select(DailyWorkRecord).where(DailyWorkRecord.work_date == date(2026, 12, 2)))
        assert [line["order_id"] for line in next_day.lines] == [late]


def test_each_client_closes_in_its_own_time_zone(app, world):
    new_york = world.client_org("America/New_York")
    world.verified_order(world.tech, utc(2026, 12, 2, 3, 0), org_id=new_york)  # 22:00 Dec 1 in New York
    with app.app_context():
        # 00:00 Dec 2 in Shanghai: Shanghai's Dec 1 is due, New York's (still 11:00 Dec 1) is not
        assert (new_york, DAY) not in records.due_closes(AFTER_CLOSE)
        assert (world.org, DAY) in records.due_closes(AFTER_CLOSE)
        with pytest.raises(Conflict):
            records.close_day(new_york, DAY, AFTER_CLOSE)
        db.session.rollback()
        # 23:58 then 23:59 in New York
        assert (new_york, DAY) not in records.due_closes(utc(2026, 12, 2, 4, 58))
        assert (new_york, DAY) in records.due_closes(utc(2026, 12, 2, 4, 59))
    assert close(app, new_york, DAY, utc(2026, 12, 2, 4, 59)).records == 1


def test_closing_the_same_day_twice_writes_nothing_new(app, world):
    world.verified_order(world.tech, utc(2026, 12, 1, 2, 0))
    world.verified_order(world.other_tech, utc(2026, 12, 1, 3, 0))
    first = close(app, world.org)
    again = close(app, world.org)
    assert (first.records, first.already_closed) == (2, False)
    assert (again.records, again.already_closed) == (0, True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DailyWorkRecord)) == 2
        assert records.due_closes(AFTER_CLOSE).count((world.org, DAY)) == 0


def test_pay_fee_insurance_and_team_shares_under_the_rate_card(app, world):
    leader, top = app_factory_technicians(world, 2)
    world.team(leader, [world.tech])
    world.team(top, [leader])
    sales = world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), work_type="sales", points_centi=2000)
    world.verified_order(world.tech, utc(2026, 12, 1, 3, 0), points_centi=1234)
    close(app, world.org)
    (record,) = live_records(app, world.org)
    # 20.00 and 12.34 points at 150 fen: 3,000 + 1,851 fen; fee 8% on each; 120 fen premium per order
    assert str(record.points) == "32.34"
    assert (record.pay_fen, record.fee_fen, record.insurance_fen) == (4851, 240 + 148, 240)
    assert record.shares == [  # leader was created before top: sorted by recipient, then level
        {"technician_id": leader, "level": 1, "amount_fen": 150, "order_ids": [sales], "item_ids": []},
        {"technician_id": top, "level": 2, "amount_fen": 75, "order_ids": [sales], "item_ids": []},
    ]
    assert record.shares_fen == 225
    assert record.rate_card_versions == [{"id": world.card_id, "org_id": world.org, "version": 1}]
    assert daily.sealed(records.record_body(record)) == record.digest
    assert record.created_at == AFTER_CLOSE and (record.client_deadline - AFTER_CLOSE).total_seconds() == 72 * 3600


def test_orders_without_money_terms_keep_points_and_pay_nothing(app, world):
    world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), card=False)
    close(app, world.org)
    (record,) = live_records(app, world.org)
    assert (str(record.points), record.pay_fen, record.fee_fen) == ("20.00", 0, 0)


def test_the_client_hears_work_record_ready(app, world):
    with app.app_context():
        db.session.add(
            WebhookEndpoint(
                org_id=world.org, url="https://client.example/hook", events=["work_record.ready"], secret_enc=b"x"
            )
        )
        db.session.commit()
    world.verified_order(world.tech, utc(2026, 12, 1, 2, 0))
    close(app, world.org)
    with app.app_context():
        (delivery,) = db.session.scalars(select(WebhookDelivery)).all()
        record = db.session.scalar(select(DailyWorkRecord))
        assert delivery.event == "work_record.ready" and delivery.state == "pending"
        assert delivery.payload["data"]["id"] == record.id
        assert delivery.payload["data"]["digest"] == record.digest
        assert delivery.payload["data"]["client_total_fen"] == record.client_total_fen


def test_the_scheduled_job_closes_every_due_client_once(app, world):
    world.verified_order(world.tech, utc(2026, 12, 1, 2, 0))
    with app.app_context():
        assert jobs.close_days(AFTER_CLOSE.isoformat()) == 1
        assert jobs.close_days(AFTER_CLOSE.isoformat()) == 0
        assert db.session.scalar(select(func.count()).select_from(DailyWorkRecord)) == 1


def test_the_cli_closes_a_day_by_hand(app, world):
    world.verified_order(world.tech, utc(2026, 11, 20, 2, 0))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["money", "close-day", "--date", "2026-11-20", "--org", str(world.org)])
    assert result.exit_code == 0, result.output
    assert "1 record(s) written" in result.output
    again = runner.invoke(args=["money", "close-day", "--date", "2026-11-20"])
    assert "already closed" in again.output


def app_factory_technicians(world, count):
    return [world.factory.technician() for _ in range(count)]
