"""Team changes go through a request a platform admin decides; at most two levels above a member;
the rate card's money terms are validated when a version is published."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import TeamChangeRequest
from backend.money import teams


def ask(client, headers, technician_id, leader_id=None, change="join"):
    body = {"technician_id": technician_id, "change": change, "reason": "sales team"}
    if leader_id is not None:
        body["leader_id"] = leader_id
    return client.post("/api/console/v1/team-change-requests", json=body, headers=headers)


def approve(client, headers, request_id):
    return client.post(f"/api/console/v1/team-change-requests/{request_id}/approve", json={}, headers=headers)


def test_a_join_takes_effect_only_when_an_admin_approves(app, client, factory):
    admin, dispatcher = factory.as_role("platform_admin"), factory.as_role("dispatcher")
    member, leader = factory.technician(), factory.technician()
    asked = ask(client, dispatcher, member, leader)
    assert asked.status_code == 201 and asked.json["state"] == "pending"
    with app.app_context():
        assert teams.uplines([member]) == {}
    assert approve(client, dispatcher, asked.json["id"]).status_code == 403  # dispatchers file, admins decide
    decided = approve(client, admin, asked.json["id"])
    assert decided.status_code == 200 and decided.json["state"] == "approved" and decided.json["decided_by_id"]
    with app.app_context():
        assert teams.uplines([member]) == {member: (leader,)}
    assert approve(client, admin, asked.json["id"]).status_code == 409


def test_at_most_two_levels_above_a_member_and_no_cycles(app, client, factory):
    admin = factory.as_role("platform_admin")
    a, b, c, d = (factory.technician() for _ in range(4))
    for member, leader in ((a, b), (b, c)):
        assert approve(client, admin, ask(client, admin, member, leader).json["id"]).status_code == 200
    with app.app_context():
        assert teams.uplines([a, b]) == {a: (b, c), b: (c,)}

    too_deep = approve(client, admin, ask(client, admin, c, d).json["id"])  # a would be three levels below d
    assert too_deep.status_code == 422 and too_deep.json["errors"][0]["field"] == "leader_id"
    rejected = client.post(  # a refused approval leaves the request pending, for a rejection
        f"/api/console/v1/team-change-requests/{_pending(app, c)}/reject", json={"note": "too deep"}, headers=admin
    )
    assert rejected.json["state"] == "rejected"
    cycle = approve(client, admin, ask(client, admin, c, a).json["id"])
    assert cycle.status_code == 422 and "cycle" in cycle.json["errors"][0]["message"]


def test_a_request_names_what_is_wrong(client, factory):
    admin = factory.as_role("platform_admin")
    member = factory.technician()
    assert ask(client, admin, member, 999999).json["errors"][0]["field"] == "leader_id"
    assert ask(client, admin, member, member).status_code == 422
    assert ask(client, admin, member, change="leave").status_code == 409  # in no team
    missing_leader = ask(client, admin, member)
    assert missing_leader.status_code == 422 and missing_leader.json["errors"][0]["field"] == "leader_id"


def test_rate_card_money_terms_are_validated_field_by_field(client, factory):
    admin = factory.as_role("platform_admin")
    org = factory.org()
    terms = {
        "base_points": {"default": "10.00"},
        "efficiency": {"min": "0.80", "max": "1.20"},
        "quality": {"1": "0.5", "2": "0.8", "3": "1", "4": "1.1", "5": "1.2", "unrated": "1"},
        "urgency_bonus": {"urgent": "5", "high": "2", "normal": "0", "low": "0"},
        "fen_per_point": 1.5,
        "fee_bps": 20_000,
        "sharing": {"work_types": ["sales"], "level1_bps": 500},
    }
    bad = client.post("/api/console/v1/rate-cards", json={"org_id": org, "terms": terms}, headers=admin)
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json["errors"]} == {
        "terms.fen_per_point",
        "terms.fee_bps",
        "terms.sharing.level2_bps",
    }
    good = terms | {
        "fen_per_point": "1.5",
        "fee_bps": 800,
        "sharing": {"work_types": ["sales"], "level1_bps": 500, "level2_bps": 0},
    }
    assert (
        client.post("/api/console/v1/rate-cards", json={"org_id": org, "terms": good}, headers=admin).status_code == 201
    )


def _pending(app, technician_id):
    with app.app_context():
        return db.session.scalar(
            select(TeamChangeRequest.id).where(
                TeamChangeRequest.technician_id == technician_id, TeamChangeRequest.state == "pending"
            )
        )


def test_a_technician_asks_in_the_app_and_an_admin_decides(app, client, factory):
    admin = factory.as_role("platform_admin")
    member, leader = factory.technician(), factory.technician()
    headers = factory.technician_headers(member)
    asked = client.post(
        "/api/mobile/v1/team-change-requests", json={"change": "join", "leader_id": leader}, headers=headers
    )
    assert asked.status_code == 201 and asked.json["technician_id"] == member
    twice = client.post(
        "/api/mobile/v1/team-change-requests", json={"change": "join", "leader_id": leader}, headers=headers
    )
    assert twice.status_code == 409
    assert approve(client, admin, asked.json["id"]).json["state"] == "approved"
    with app.app_context():
        assert teams.uplines([member]) == {member: (leader,)}
    left = client.post("/api/mobile/v1/team-change-requests", json={"change": "leave"}, headers=headers)
    assert approve(client, admin, left.json["id"]).status_code == 200
    with app.app_context():
        assert teams.uplines([member]) == {}
