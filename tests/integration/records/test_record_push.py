"""The technician hears of a daily work record on the phone: a day close pushes a `daily_record`
notification per record through the provider (the push sandbox, a live process), carrying the
record id the app then reads over REST; closing the day again pushes nothing; a corrected
version pushes again."""

from backend.extensions import db
from backend.models import DailyWorkRecord
from backend.money import confirmations
from backend.money.confirmations import Adjustment, Decision
from tests.integration.notifications.conftest import (  # noqa: F401  (fixtures)
    push_sandbox_process,
    sandbox,
    service_account_key,
)
from tests.integration.orders.helpers import run_jobs
from tests.integration.records.conftest import utc
from tests.integration.records.test_close_day import AFTER_CLOSE, DAY, close, live_records

MOBILE = "/api/mobile/v1"


def pushed_records(box, token):
    return [call["body"]["notification"]["android"]["extras"] for call in box.calls(token)]


def test_a_day_close_pushes_each_record_once_and_a_correction_again(app, client, factory, world, sandbox):  # noqa: F811
    first = world.verified_order(world.tech, utc(2026, 12, 1, 2, 0))
    world.verified_order(world.tech, utc(2026, 12, 1, 3, 0))
    with app.app_context():
        headers = factory.technician_headers(world.tech)
    device = {"platform": "android", "provider": "jpush", "push_token": "jpush-day", "app_version": "1.4.0"}
    assert client.put(f"{MOBILE}/me/devices", headers=headers, json=device).status_code == 200

    close(app, world.org)
    run_jobs(app, "high")

    (record,) = live_records(app, world.org)
    [extras] = pushed_records(sandbox, "jpush-day")
    assert (extras["notification_kind"], extras["record_id"]) == ("daily_record", str(record.id))
    fetched = client.get(f"{MOBILE}/work-records/{extras['record_id']}", headers=headers)
    assert fetched.status_code == 200 and fetched.get_json()["id"] == record.id

    assert close(app, world.org, DAY, AFTER_CLOSE).already_closed
    run_jobs(app, "high")
    assert len(pushed_records(sandbox, "jpush-day")) == 1, "a second close pushes nothing new"

    with app.app_context():
        stored = db.session.get(DailyWorkRecord, record.id)
        who = Decision("technician", "app", ("technician", world.tech))
        confirmations.dispute(stored, who, "the first order was not mine", [first])
        corrected = confirmations.adjust(stored, Adjustment("removed", [first], [], []), admin_id=1)
        db.session.commit()
        corrected_id = corrected.id
    run_jobs(app, "high")
    assert [e["record_id"] for e in pushed_records(sandbox, "jpush-day")] == [str(record.id), str(corrected_id)]
