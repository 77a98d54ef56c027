"""A daily work record waiting for the technician's confirmation is pushed to the phone: once per
record version (a closed day closed again pushes nothing new; a new version after a dispute
pushes again), carrying the ids the app reads the record with, not the record."""

from datetime import date

from sqlalchemy import select

from backend.extensions import db
from backend.models import DailyWorkRecord, Notification
from backend.money import confirmations, records
from tests.integration.records.conftest import utc

DAY = date(2026, 12, 1)
AFTER_CLOSE = utc(2026, 12, 1, 16, 0)


def pushed(app, technician_id):
    with app.app_context():
        rows = db.session.scalars(
            select(Notification)
            .where(Notification.technician_id == technician_id, Notification.kind == "daily_record")
            .order_by(Notification.id)
        ).all()
        return [row.data for row in rows]


def test_each_record_version_is_pushed_to_its_technician_once(app, world):
    first = world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), points_centi=2000)
    world.verified_order(world.other_tech, utc(2026, 12, 1, 3, 0), points_centi=1000)
    with app.app_context():
        records.close_day(world.org, DAY, AFTER_CLOSE)
        records.close_day(world.org, DAY, AFTER_CLOSE)  # closed already: nothing new
        db.session.commit()
        mine = db.session.scalar(select(DailyWorkRecord.id).where(DailyWorkRecord.technician_id == world.tech))

    assert pushed(app, world.tech) == [{"record_id": mine, "work_date": "2026-12-01", "version": 1}]
    assert len(pushed(app, world.other_tech)) == 1

    with app.app_context():
        record = db.session.get(DailyWorkRecord, mine)
        confirmations.dispute(record, confirmations.Decision("technician", "app", ("technician", world.tech)), "no", [])
        change = confirmations.Adjustment("re-rated", [], [], [{"order_id": first, "points": "18.00"}])
        v2 = confirmations.adjust(record, change, admin_id=1).id
        db.session.commit()
    assert pushed(app, world.tech)[-1] == {"record_id": v2, "work_date": "2026-12-01", "version": 2}
