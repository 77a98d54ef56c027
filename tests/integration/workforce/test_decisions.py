"""Console decisions: role changes, skill verification, region assignment, and their audit trail."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from backend.extensions import db
from backend.workforce.eligibility import Requirements, eligible_technicians

MOBILE = "/api/mobile/v1"
CONSOLE = "/api/console/v1"
TOMORROW = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()


def _role_of(app, technician_id):
    with app.app_context():
        return db.session.execute(
            text(
                "SELECT r.code FROM technician_profiles p JOIN technician_roles r ON r.id = p.role_id "
                "WHERE p.technician_id = :t"
            ),
            {"t": technician_id},
        ).scalar()


def _audit(client, headers, **filters):
    response = client.get(f"{CONSOLE}/workforce-audit", headers=headers, query_string=filters)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_role_change_takes_effect_only_after_approval(client, app, factory):
    technician = factory.technician(role="repair")
    headers = factory.technician_headers(technician)
    asked = client.post(
        f"{MOBILE}/me/role-change-requests", headers=headers, json={"role": "station_lead", "reason": "5 years"}
    )
    assert asked.status_code == 201 and asked.get_json()["state"] == "pending"
    assert _role_of(app, technician) == "repair"
    with app.app_context():
        assert [e.technician_id for e in eligible_technicians(Requirements(role_code="station_lead"))] == []

    admin_id = factory.user("platform_admin")
    decided = client.post(
        f"{CONSOLE}/role-change-requests/{asked.get_json()['id']}/decision",
        headers=factory.headers(admin_id),
        json={"decision": "approve", "note": "ok"},
    )
    assert decided.status_code == 200 and decided.get_json()["state"] == "approved"
    assert _role_of(app, technician) == "station_lead"
    with app.app_context():
        assert [e.technician_id for e in eligible_technicians(Requirements(role_code="station_lead"))] == [technician]

    trail = _audit(client, factory.headers(admin_id), technician_id=technician)["items"]
    assert [a["action"] for a in trail] == ["role_change.requested", "role_change.approved"]
    entry = trail[1]
    assert entry["action"] == "role_change.approved" and entry["actor_id"] == admin_id
    assert entry["before"]["state"] == "pending" and entry["after"]["state"] == "approved"
    assert entry["before"]["role_id"] != entry["after"]["role_id"] and entry["created_at"]


def test_a_forged_approval_by_a_non_admin_is_refused(client, app, factory):
    technician = factory.technician(role="repair")
    headers = factory.technician_headers(technician)
    request_id = client.post(
        f"{MOBILE}/me/role-change-requests", headers=headers, json={"role": "monitoring"}
    ).get_json()["id"]
    url = f"{CONSOLE}/role-change-requests/{request_id}/decision"
    for forger in (headers, factory.as_role("dispatcher"), factory.as_role("client_admin")):
        response = client.post(url, headers=forger, json={"decision": "approve"})
        assert response.status_code == 403
    with app.app_context():
        state = db.session.execute(text("SELECT state FROM role_change_requests")).scalar()
        audits = db.session.execute(
            text("SELECT count(*) FROM workforce_audit WHERE action <> 'role_change.requested'")
        ).scalar()
    assert state == "pending" and audits == 0 and _role_of(app, technician) == "repair"


def test_a_rejected_role_change_leaves_the_role(client, app, factory):
    region = factory.region((116.0, 39.0, 117.0, 40.0))
    technician = factory.technician(role="repair", region_ids=[region])
    staff = factory.headers(factory.dispatcher([region]))
    asked = client.post(
        f"{CONSOLE}/role-change-requests", headers=staff, json={"technician_id": technician, "role": "construction"}
    )
    assert asked.status_code == 201
    second = client.post(
        f"{CONSOLE}/role-change-requests", headers=staff, json={"technician_id": technician, "role": "monitoring"}
    )
    assert second.status_code == 409, "one open request at a time"
    admin = factory.as_role("platform_admin")
    url = f"{CONSOLE}/role-change-requests/{asked.get_json()['id']}/decision"
    assert client.post(url, headers=admin, json={"decision": "reject"}).get_json()["state"] == "rejected"
    assert client.post(url, headers=admin, json={"decision": "approve"}).status_code == 409
    assert _role_of(app, technician) == "repair"


def test_an_approved_technician_changes_role_only_by_request(client, factory):
    headers = factory.technician_headers(factory.technician(role="repair"))
    response = client.put(f"{MOBILE}/me/role", headers=headers, json={"role": "station_lead"})
    assert response.status_code == 409


def test_unknown_role_or_skill_is_422_with_the_field_named_and_nothing_stored(client, app, factory, register):
    headers, _ = register()
    role = client.put(f"{MOBILE}/me/role", headers=headers, json={"role": "astronaut"})
    assert role.status_code == 422 and role.get_json()["errors"][0]["field"] == "role"
    skill = client.post(f"{MOBILE}/me/skills", headers=headers, json={"skill": "juggling", "level": 2})
    assert skill.status_code == 422 and skill.get_json()["errors"][0]["field"] == "skill"
    approved = factory.technician_headers(factory.technician())
    change = client.post(f"{MOBILE}/me/role-change-requests", headers=approved, json={"role": "astronaut"})
    assert change.status_code == 422 and change.get_json()["errors"][0]["field"] == "role"
    with app.app_context():
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM technician_skills), (SELECT count(*) FROM role_change_requests),"
                " (SELECT count(role_id) FROM technician_profiles WHERE status = 'onboarding')"
            )
        ).one()
    assert tuple(counts) == (0, 0, 0)


def test_a_skill_counts_once_an_admin_verifies_it(client, app, factory):
    region = factory.region((116.0, 39.0, 117.0, 40.0))
    technician = factory.technician(region_ids=[region])
    headers = factory.technician_headers(technician)
    claim = client.post(
        f"{MOBILE}/me/skills",
        headers=headers,
        json={"skill": "electrician", "level": 4, "certificate_no": "T-123", "issuer": "MEM", "valid_until": TOMORROW},
    )
    assert claim.status_code == 201 and claim.get_json()["state"] == "pending"
    from backend.workforce.eligibility import SkillRequirement

    need = Requirements(region_id=region, skills=(SkillRequirement("electrician", 4),))
    with app.app_context():
        assert eligible_technicians(need) == []

    url = f"{CONSOLE}/technician-skills/{claim.get_json()['id']}/decision"
    assert client.post(url, headers=factory.as_role("dispatcher"), json={"decision": "verify"}).status_code == 403
    admin_id = factory.user("platform_admin")
    verified = client.post(url, headers=factory.headers(admin_id), json={"decision": "verify"})
    assert verified.status_code == 200 and verified.get_json()["state"] == "verified"
    assert verified.get_json()["verified_by_id"] == admin_id
    with app.app_context():
        assert [e.technician_id for e in eligible_technicians(need)] == [technician]
    trail = _audit(client, factory.headers(admin_id), action="skill.verified")["items"]
    assert [(a["technician_id"], a["before"]["state"], a["after"]["state"]) for a in trail] == [
        (technician, "pending", "verified")
    ]


def test_a_certificate_skill_needs_its_number(client, factory):
    headers = factory.technician_headers(factory.technician())
    response = client.post(f"{MOBILE}/me/skills", headers=headers, json={"skill": "electrician", "level": 2})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "certificate_no"
    past = client.post(
        f"{MOBILE}/me/skills",
        headers=headers,
        json={"skill": "fibre_splicing", "level": 2, "valid_from": "2020-01-01", "valid_until": "2021-01-01"},
    )
    assert past.status_code == 422 and past.get_json()["errors"][0]["field"] == "valid_until"


def test_region_assignment_is_audited_and_unknown_regions_are_404(client, app, factory):
    a = factory.region((116.0, 39.0, 117.0, 40.0))
    b = factory.region((117.0, 39.0, 118.0, 40.0))
    technician = factory.technician(region_ids=[a])
    staff_id = factory.dispatcher([a, b])
    staff = factory.headers(staff_id)
    missing = client.put(f"{CONSOLE}/technicians/{technician}/regions", headers=staff, json={"region_ids": [b, 999999]})
    assert missing.status_code == 404 and missing.get_json()["errors"][0]["field"] == "region_ids.1"
    moved = client.put(f"{CONSOLE}/technicians/{technician}/regions", headers=staff, json={"region_ids": [b]})
    assert moved.status_code == 200
    assert moved.get_json()["regions"] == [{"region_id": b, "state": "active"}]
    trail = _audit(client, staff, technician_id=technician, action="regions.assigned")["items"]
    assert [(t["actor_id"], t["before"], t["after"]) for t in trail] == [
        (staff_id, {"region_ids": [a]}, {"region_ids": [b]})
    ]
    assert (
        client.put(f"{CONSOLE}/technicians/999999/regions", headers=staff, json={"region_ids": []}).status_code == 404
    )


def test_a_technician_cannot_request_another_tenants_region(client, app, factory):
    client_org = factory.org()
    private = factory.region((116.0, 39.0, 117.0, 40.0), org_id=client_org)
    shared = factory.region((117.0, 39.0, 118.0, 40.0))
    headers = factory.technician_headers(factory.technician(region_ids=[]))
    refused = client.post(f"{MOBILE}/me/region-requests", headers=headers, json={"region_id": private})
    assert refused.status_code == 404 and refused.get_json()["errors"][0]["field"] == "region_id"
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM technician_regions")).scalar() == 0
    asked = client.post(f"{MOBILE}/me/region-requests", headers=headers, json={"region_id": shared})
    assert asked.status_code == 201 and asked.get_json()["regions"] == [{"region_id": shared, "state": "requested"}]


def test_console_search_filters_and_pages(client, app, factory):
    region = factory.region((116.0, 39.0, 117.0, 40.0))
    other = factory.region((117.0, 39.0, 118.0, 40.0))
    wanted = [factory.technician(region_ids=[region], skills=[("welding", 3)]) for _ in range(3)]
    factory.technician(region_ids=[region], skills=[("welding", 1)])
    factory.technician(region_ids=[other], skills=[("welding", 3)])
    factory.technician(status="submitted", region_ids=[region], skills=[("welding", 3)])
    staff = factory.as_role("dispatcher")
    query = {"region_id": region, "skill": "welding", "min_level": 2, "state": "approved", "role": "repair", "limit": 2}
    first = client.get(f"{CONSOLE}/technicians", headers=staff, query_string=query).get_json()
    second = client.get(
        f"{CONSOLE}/technicians", headers=staff, query_string={**query, "cursor": first["next_cursor"]}
    ).get_json()
    assert [t["id"] for t in first["items"] + second["items"]] == wanted and second["next_cursor"] is None
    pending = client.get(f"{CONSOLE}/technicians", headers=staff, query_string={"state": "submitted"}).get_json()
    assert len(pending["items"]) == 1


def test_console_search_by_online_status(client, app, factory):
    import time

    from backend.redis_client import get_redis
    from backend.tracking.presence import PRESENCE_KEY

    online, offline = factory.technician(), factory.technician()
    with app.app_context():
        get_redis().zadd(PRESENCE_KEY, {str(online): time.time()})
    staff = factory.as_role("dispatcher")
    on = client.get(f"{CONSOLE}/technicians", headers=staff, query_string={"online": "true"}).get_json()["items"]
    off = client.get(f"{CONSOLE}/technicians", headers=staff, query_string={"online": "false"}).get_json()["items"]
    assert [(t["id"], t["online"]) for t in on] == [(online, True)]
    assert [(t["id"], t["online"]) for t in off] == [(offline, False)]


def test_the_audit_trail_filters_and_pages(client, factory):
    admin_id = factory.user("platform_admin")
    admin = factory.headers(admin_id)
    region = factory.region((116.0, 39.0, 117.0, 40.0))
    technicians = [factory.technician(region_ids=[]) for _ in range(3)]
    for technician in technicians:
        client.put(f"{CONSOLE}/technicians/{technician}/regions", headers=admin, json={"region_ids": [region]})
    page = _audit(client, admin, actor_id=admin_id, limit=2)
    rest = _audit(client, admin, actor_id=admin_id, limit=2, cursor=page["next_cursor"])
    assert [a["technician_id"] for a in page["items"] + rest["items"]] == technicians
    assert _audit(client, admin, action="profile.approved")["items"] == []
    assert _audit(client, admin, since="2999-01-01T00:00:00Z")["items"] == []


def test_dispatcher_writes_reach_only_the_technicians_of_their_regions(client, app, factory):
    mine = factory.region((116.0, 39.0, 117.0, 40.0))
    grid = factory.region((116.0, 39.0, 116.5, 39.5), level="district", parent_id=mine)
    theirs = factory.region((117.0, 39.0, 118.0, 40.0))
    inside = factory.technician(region_ids=[grid])
    outside = factory.technician(region_ids=[theirs])
    dispatcher = factory.headers(factory.dispatcher([mine]))
    admin = factory.as_role("platform_admin")

    def writes(technician, headers, region_ids):
        return [
            client.put(f"{CONSOLE}/technicians/{technician}/regions", headers=headers, json={"region_ids": region_ids}),
            client.post(
                f"{CONSOLE}/technicians/{technician}/certifications",
                headers=headers,
                json={"kind": "experience", "years": 2},
            ),
            client.post(
                f"{CONSOLE}/role-change-requests",
                headers=headers,
                json={"technician_id": technician, "role": "monitoring"},
            ),
        ]

    refused = writes(outside, dispatcher, [mine])
    assert [r.status_code for r in refused] == [404, 404, 404]
    assert (
        refused[0].get_json()
        == client.put(
            f"{CONSOLE}/technicians/999999/regions", headers=dispatcher, json={"region_ids": [mine]}
        ).get_json()
    ), "another region's technician answers like a missing one"
    detail = client.get(f"{CONSOLE}/technicians/{outside}", headers=admin).get_json()
    assert detail["regions"] == [{"region_id": theirs, "state": "active"}] and detail["certifications"] == []

    foreign_region = client.put(
        f"{CONSOLE}/technicians/{inside}/regions", headers=dispatcher, json={"region_ids": [grid, theirs]}
    )
    assert foreign_region.status_code == 404 and foreign_region.get_json()["errors"][0]["field"] == "region_ids.1"
    assert [r.status_code for r in writes(inside, dispatcher, [mine])] == [200, 201, 201]
    assert [r.status_code for r in writes(outside, admin, [theirs, mine])] == [200, 201, 201]


def test_a_dispatcher_leaves_regions_they_do_not_manage_alone(client, factory):
    mine = factory.region((116.0, 39.0, 117.0, 40.0))
    theirs = factory.region((117.0, 39.0, 118.0, 40.0))
    technician = factory.technician(region_ids=[mine, theirs])
    dispatcher = factory.headers(factory.dispatcher([mine]))
    emptied = client.put(f"{CONSOLE}/technicians/{technician}/regions", headers=dispatcher, json={"region_ids": []})
    assert emptied.status_code == 200
    assert emptied.get_json()["regions"] == [{"region_id": theirs, "state": "active"}]
