"""Bad input to the work-record routes: a 4xx problem naming the field, and nothing stored."""

from datetime import date

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import DailyWorkRecord, RecordConfirmation, WorkItem
from backend.money import records
from tests.integration.records.conftest import utc


@pytest.fixture
def disputed(app, client, world):
    world.order = world.verified_order(world.tech, utc(2026, 12, 1, 2, 0))
    with app.app_context():
        records.close_day(world.org, date(2026, 12, 1), utc(2026, 12, 1, 16, 0))
        db.session.commit()
        world.record = db.session.scalar(select(DailyWorkRecord.id))
    client.post(f"/api/v1/work-records/{world.record}/dispute", json={"reason": "no"}, headers=world.client)
    world.admin = world.factory.as_role("platform_admin")
    return world


def counts(app):
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (DailyWorkRecord, RecordConfirmation, WorkItem)
        )


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("get", "/api/v1/work-records?state=lost", None, "state"),
        ("get", "/api/v1/work-records?work_date=2026-13-01", None, "work_date"),
        ("post", "/api/v1/work-records/{record}/dispute", {"reason": ""}, "reason"),
        ("post", "/api/v1/work-records/{record}/dispute", {"reason": "x", "order_ids": ["a"]}, "order_ids.0"),
        ("post", "/api/console/v1/work-records/{record}/adjust", {"rerate": []}, "reason"),
        (
            "post",
            "/api/console/v1/work-records/{record}/adjust",
            {"reason": "x", "rerate": [{"order_id": "{order}", "points": "1.234"}]},
            "rerate.0.points",
        ),
        ("post", "/api/v1/work-items", {"items": []}, "items"),
        (
            "post",
            "/api/v1/work-items",
            {
                "items": [
                    {
                        "technician_id": 1,
                        "work_date": "2026-12-01",
                        "work_type": "reading",
                        "quantity": "1.2345",
                        "client_ref": "r",
                    }
                ]
            },
            "items.0.quantity",
        ),
        ("post", "/api/mobile/v1/team-change-requests", {"change": "swap"}, "change"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(app, client, disputed, method, path, body, field):
    headers = disputed.admin if "/console/" in path else disputed.client
    if "/mobile/" in path:
        headers = disputed.factory.technician_headers(disputed.tech)
    path = path.format(record=disputed.record)
    if body and "rerate" in body:
        body = {**body, "rerate": [{**r, "order_id": disputed.order} for r in body["rerate"]]}
    before = counts(app)
    answer = getattr(client, method)(path, json=body, headers=headers)
    assert 400 <= answer.status_code < 500, answer.json
    assert field in [e["field"] for e in answer.json["errors"]], answer.json
    assert counts(app) == before
