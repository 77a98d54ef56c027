"""Client uploads of work done outside orders: priced under the card, joined to the day's record,
all or nothing with each bad row named, idempotent by client_ref, refused with the reason."""

from io import BytesIO

import pytest
from sqlalchemy import func, select

from backend.errors import ValidationFailed
from backend.extensions import db
from backend.models import DailyWorkRecord, WorkItem
from backend.models.base import utcnow
from backend.money import records, work_items

# The upload checks the cut-off against the real clock: use a day that has not ended yet.
TODAY = records.work_date_of("Asia/Shanghai", utcnow())


@pytest.fixture
def worked(world):
    """The technician worked for the client today (an order checked in and verified)."""
    day_start = records.day_window("Asia/Shanghai", TODAY)[0]
    world.verified_order(world.tech, day_start.replace(second=30))
    return world


def item(world, ref="r-1", **overrides):
    body = {
        "technician_id": world.tech,
        "work_date": TODAY.isoformat(),
        "work_type": "reading",
        "quantity": "10",
        "client_ref": ref,
    }
    return body | overrides


def items_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WorkItem))


def test_items_are_priced_and_join_the_days_record(app, client, worked):
    answer = client.post(
        "/api/v1/work-items",
        json={"items": [item(worked), item(worked, "p-1", work_type="project", quantity="1.5", unit="hour")]},
        headers=worked.client,
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["created"] == 2
    assert [(i["points"], i["unit"]) for i in answer.json["items"]] == [("2.50", "piece"), ("12.00", "hour")]

    with app.app_context():
        cutoff = records.cutoff_utc("Asia/Shanghai", TODAY)
        records.close_day(worked.org, TODAY, cutoff)
        db.session.commit()
        record = db.session.scalar(select(DailyWorkRecord))
        kinds = [(line["kind"], line["points"], line["pay_fen"]) for line in record.lines]
        assert kinds == [("order", "20.00", 3000), ("work_item", "2.50", 375), ("work_item", "12.00", 1800)]
        assert record.pay_fen == 3000 + 375 + 1800 and record.insurance_fen == 120  # premium per order only


def test_a_replay_by_client_ref_stores_nothing_new(app, client, worked):
    first = client.post("/api/v1/work-items", json={"items": [item(worked)]}, headers=worked.client)
    again = client.post("/api/v1/work-items", json={"items": [item(worked)]}, headers=worked.client)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["replayed"] == 1 and again.json["items"][0]["id"] == first.json["items"][0]["id"]
    changed = client.post("/api/v1/work-items", json={"items": [item(worked, quantity="11")]}, headers=worked.client)
    assert changed.status_code == 422 and changed.json["errors"][0]["field"] == "items.0.client_ref"
    assert items_count(app) == 1


def test_every_bad_row_is_named_and_nothing_is_stored(app, client, worked):
    schema_bad = client.post(
        "/api/v1/work-items",
        json={"items": [item(worked, "ok-1"), item(worked, "bad-0", quantity="-2")]},
        headers=worked.client,
    )
    assert schema_bad.status_code == 422
    assert "items.1.quantity" in [e["field"] for e in schema_bad.json["errors"]]

    rule_bad = [
        item(worked, "ok-1"),
        item(worked, "bad-1", technician_id=worked.other_tech),  # did no work for this client today
        item(worked, "bad-2", work_type="dancing"),
        item(worked, "bad-3", work_date="2020-01-01"),
        item(worked, "bad-4", unit="hour"),
        item(worked, "ok-1"),
    ]
    answer = client.post("/api/v1/work-items", json={"items": rule_bad}, headers=worked.client)
    assert answer.status_code == 422
    problems = {e["field"]: e["message"] for e in answer.json["errors"]}
    assert problems["items.1.technician_id"] == f"did not work for this client on {TODAY.isoformat()}"
    assert "gives no points" in problems["items.2.work_type"]
    assert "the day closed at 23:59 Asia/Shanghai" in problems["items.3.work_date"]
    assert problems["items.4.unit"] == "this work type is counted per piece"
    assert problems["items.5.client_ref"] == "repeats row 0"
    assert items_count(app) == 0


def test_a_csv_upload_is_the_same_batch(app, client, worked):
    header = "technician_id,work_date,work_type,quantity,client_ref\n"
    rows = f"{worked.tech},{TODAY.isoformat()},reading,4,c-1\n{worked.tech},{TODAY.isoformat()},reading,abc,c-2\n"
    bad = client.post(
        "/api/v1/work-items/import",
        data={"file": (BytesIO((header + rows).encode()), "items.csv")},
        headers=worked.client,
    )
    assert bad.status_code == 422 and [e["field"] for e in bad.json["errors"]] == ["items.1.quantity"]
    assert items_count(app) == 0
    good = (header + rows).replace(",abc,", ",2,")
    answer = client.post(
        "/api/v1/work-items/import", data={"file": (BytesIO(good.encode()), "items.csv")}, headers=worked.client
    )
    assert answer.status_code == 201 and answer.json["created"] == 2


def test_after_the_cut_off_the_day_takes_no_items(app, worked):
    rows = [
        {"technician_id": worked.tech, "work_date": TODAY, "work_type": "reading", "quantity": 1, "client_ref": "x"}
    ]
    with app.app_context():
        with pytest.raises(ValidationFailed) as refused:
            work_items.upload(worked.org, rows, records.cutoff_utc("Asia/Shanghai", TODAY))
        assert [e["field"] for e in refused.value.errors] == ["items.0.work_date"]
        db.session.rollback()
    assert items_count(app) == 0
