"""Three-party confirmation through the app, the client API and the console: signatures, finalize,
the client's window, disputes resolved by a new version, and the refusals (404, 409, 422)."""

from datetime import date

import pytest
from sqlalchemy import func, select

from backend import esign
from backend.extensions import db
from backend.models import DailyWorkRecord, RecordConfirmation
from backend.models.settlement import RecordPosting
from backend.money import confirmations, daily, jobs, records
from tests.integration.records.conftest import utc

DAY = date(2026, 12, 1)
AFTER_CLOSE = utc(2026, 12, 1, 16, 0)


@pytest.fixture
def closed(app, world):
    """A closed day: the technician's record with two orders (the client has no funds yet)."""
    world.first = world.verified_order(world.tech, utc(2026, 12, 1, 2, 0), points_centi=2000)
    world.second = world.verified_order(world.tech, utc(2026, 12, 1, 3, 0), points_centi=1000)
    with app.app_context():
        records.close_day(world.org, DAY, AFTER_CLOSE)
        db.session.commit()
        world.record = db.session.scalar(select(DailyWorkRecord.id))
    world.app_headers = world.factory.technician_headers(world.tech)
    world.admin = world.factory.as_role("platform_admin")
    return world


@pytest.fixture
def day(closed):
    """The closed day of a funded client."""
    closed.fund(1_000_000)
    return closed


def stored(app, record_id):
    with app.app_context():
        record = db.session.get(DailyWorkRecord, record_id)
        confirmations_ = db.session.scalars(
            select(RecordConfirmation).where(RecordConfirmation.record_id == record_id).order_by(RecordConfirmation.id)
        ).all()
        db.session.expunge_all()
        return record, confirmations_


def test_technician_and_client_confirm_then_the_platform_finalizes(app, client, day):
    mine = client.get("/api/mobile/v1/work-records", headers=day.app_headers).json
    assert [r["id"] for r in mine["items"]] == [day.record]
    detail = client.get(f"/api/mobile/v1/work-records/{day.record}", headers=day.app_headers).json
    assert [line["pay_fen"] for line in detail["lines"]] == [3000, 1500]  # the breakdown of every figure

    answer = client.post(f"/api/mobile/v1/work-records/{day.record}/confirm", headers=day.app_headers)
    assert answer.status_code == 200 and answer.json["state"] == "pending_confirmation"
    answer = client.post(f"/api/v1/work-records/{day.record}/confirm", headers=day.client)
    assert answer.status_code == 200, answer.json
    assert answer.json["state"] == "finalized" and answer.json["finalized_at"]
    assert [(c["party"], c["channel"]) for c in answer.json["confirmations"]] == [
        ("technician", "app"),
        ("client", "api"),
        ("platform", "auto"),
    ]

    record, sealed = stored(app, day.record)
    with app.app_context():
        public_key = esign.platform_signer().public_bytes()
    for confirmation in sealed:
        assert confirmation.record_digest == record.digest
        assert confirmations.verify(confirmation, public_key)
    forged = sealed[0]
    forged.decision = "dispute"
    assert not confirmations.verify(forged, public_key)


def test_confirming_twice_is_a_conflict_and_stores_nothing(app, client, day):
    assert client.post(f"/api/v1/work-records/{day.record}/confirm", headers=day.client).status_code == 200
    again = client.post(f"/api/v1/work-records/{day.record}/confirm", headers=day.client)
    assert again.status_code == 409
    assert again.json["party"] == "client"
    assert len(stored(app, day.record)[1]) == 1


def test_another_clients_record_is_not_found(app, client, day):
    other = day.factory.org()
    key = day.factory.api_key(other, scopes=("orders:read", "orders:write"))
    for answer in (
        client.get(f"/api/v1/work-records/{day.record}", headers={"X-API-Key": key}),
        client.post(f"/api/v1/work-records/{day.record}/confirm", headers={"X-API-Key": key}),
        client.get(f"/api/mobile/v1/work-records/{day.record}", headers=day.factory.technician_headers(day.other_tech)),
        client.get("/api/v1/work-records/999999", headers=day.client),
    ):
        assert answer.status_code == 404
        assert answer.json["type"].endswith("not-found")
    assert stored(app, day.record)[1] == []


def test_a_dispute_names_its_orders_and_refuses_foreign_ones(app, client, day):
    bad = client.post(
        f"/api/mobile/v1/work-records/{day.record}/dispute",
        json={"reason": "I was not there", "order_ids": [day.first, 424242]},
        headers=day.app_headers,
    )
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json["errors"]] == ["order_ids.1"]
    no_reason = client.post(f"/api/mobile/v1/work-records/{day.record}/dispute", json={}, headers=day.app_headers)
    assert no_reason.status_code == 422 and no_reason.json["errors"][0]["field"] == "reason"
    record, sealed = stored(app, day.record)
    assert (record.state, sealed) == ("pending_confirmation", [])


def test_disputing_a_finalized_record_is_a_conflict(app, client, day):
    client.post(f"/api/mobile/v1/work-records/{day.record}/confirm", headers=day.app_headers)
    client.post(f"/api/v1/work-records/{day.record}/confirm", headers=day.client)
    answer = client.post(f"/api/v1/work-records/{day.record}/dispute", json={"reason": "too late"}, headers=day.client)
    assert answer.status_code == 409 and answer.json["state"] == "finalized"
    assert len(stored(app, day.record)[1]) == 3


def test_the_clients_silence_past_its_window_confirms_it(app, client, day):
    client.post(f"/api/mobile/v1/work-records/{day.record}/confirm", headers=day.app_headers)
    record, _ = stored(app, day.record)
    with app.app_context():
        assert jobs.confirm_windows(utc(2026, 12, 4, 15, 59).isoformat()) == 0  # a minute before the deadline
        assert jobs.confirm_windows(record.client_deadline.isoformat()) == 1
        assert jobs.confirm_windows(record.client_deadline.isoformat()) == 0
    record, sealed = stored(app, day.record)
    assert record.state == "finalized"
    assert [(c.party, c.channel, c.actor_kind) for c in sealed] == [
        ("technician", "app", "technician"),
        ("client", "auto_window", "system"),
        ("platform", "auto", "system"),
    ]


def test_a_dispute_is_resolved_by_a_new_version_both_sides_confirm(app, client, day):
    disputed = client.post(
        f"/api/v1/work-records/{day.record}/dispute",
        json={"reason": "order 2 was redone by another company", "order_ids": [day.second]},
        headers=day.client,
    )
    assert disputed.status_code == 200 and disputed.json["state"] == "disputed"
    # the technician can no longer decide on the disputed version
    assert client.post(f"/api/mobile/v1/work-records/{day.record}/confirm", headers=day.app_headers).status_code == 409

    queue = client.get("/api/console/v1/work-records?state=disputed", headers=day.admin).json
    assert [r["id"] for r in queue["items"]] == [day.record]
    seen = client.get(f"/api/console/v1/work-records/{day.record}", headers=day.admin).json
    assert seen["confirmations"][0]["disputed_order_ids"] == [day.second]

    bad = client.post(
        f"/api/console/v1/work-records/{day.record}/adjust",
        json={"reason": "agreed", "remove_order_ids": [77777], "rerate": [{"order_id": day.first, "points": "-1"}]},
        headers=day.admin,
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {"rerate.0.points"}
    bad = client.post(
        f"/api/console/v1/work-records/{day.record}/adjust",
        json={"reason": "agreed", "remove_order_ids": [77777]},
        headers=day.admin,
    )
    assert bad.status_code == 422 and [e["field"] for e in bad.json["errors"]] == ["remove_order_ids.0"]

    adjusted = client.post(
        f"/api/console/v1/work-records/{day.record}/adjust",
        json={
            "reason": "order 2 removed; order 1 re-rated",
            "remove_order_ids": [day.second],
            "rerate": [{"order_id": day.first, "points": "18.50"}],
        },
        headers=day.admin,
    )
    assert adjusted.status_code == 201, adjusted.json
    v2 = adjusted.json
    assert (v2["version"], v2["supersedes_id"], v2["state"]) == (2, day.record, "pending_confirmation")
    assert [(line["order_id"], line["points"], line["pay_fen"]) for line in v2["lines"]] == [(day.first, "18.50", 2775)]
    assert v2["lines"][0]["rerated_from"] == "20.00"
    assert v2["adjustment"]["reason"] == "order 2 removed; order 1 re-rated"

    old = client.get(f"/api/v1/work-records/{day.record}", headers=day.client).json
    assert old["state"] == "superseded" and old["superseded_by_id"] == v2["id"]
    stale = client.post(f"/api/v1/work-records/{day.record}/confirm", headers=day.client)
    assert stale.status_code == 409 and stale.json["superseded_by_id"] == v2["id"]

    assert client.post(f"/api/mobile/v1/work-records/{v2['id']}/confirm", headers=day.app_headers).status_code == 200
    final = client.post(f"/api/v1/work-records/{v2['id']}/confirm", headers=day.client)
    assert final.json["state"] == "finalized"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DailyWorkRecord)) == 2
        v2_row = db.session.get(DailyWorkRecord, v2["id"])
        assert daily.sealed(records.record_body(v2_row)) == v2_row.digest


def test_only_platform_admins_see_the_dispute_queue(client, day):
    dispatcher = day.factory.as_role("dispatcher")
    assert client.get("/api/console/v1/work-records?state=disputed", headers=dispatcher).status_code == 403
    assert client.get("/api/console/v1/work-records?state=disputed", headers=day.client).status_code == 403


def test_an_unfunded_client_leaves_the_record_confirmed_but_not_final_until_funds_arrive(app, client, closed):
    day = closed
    client.post(f"/api/mobile/v1/work-records/{day.record}/confirm", headers=day.app_headers)
    answer = client.post(f"/api/v1/work-records/{day.record}/confirm", headers=day.client)
    assert answer.status_code == 200
    assert answer.json["state"] == "pending_confirmation"
    refused = answer.json["finalization_refused"]
    assert refused["shortfall_fen"] == answer.json["client_total_fen"]  # no funds at all
    assert [c["party"] for c in answer.json["confirmations"]] == ["technician", "client"]

    with app.app_context():
        assert jobs.confirm_windows(AFTER_CLOSE.isoformat()) == 0  # still unfunded: nothing moves
    day.fund(1_000_000)
    with app.app_context():
        assert jobs.confirm_windows(AFTER_CLOSE.isoformat()) == 1
        assert db.session.get(RecordPosting, day.record) is not None
    record, sealed = stored(app, day.record)
    assert record.state == "finalized" and [c.party for c in sealed] == ["technician", "client", "platform"]
