"""eligible_technicians(): approval, role, skills (verified, valid on the day, level), regions, online."""

import time
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text

from backend.extensions import db
from backend.redis_client import get_redis
from backend.tracking.presence import PRESENCE_KEY
from backend.workforce.eligibility import Requirements, SkillRequirement, eligible_technicians
from backend.workforce.jobs import expire_skills

TODAY = datetime.now(UTC).date()
ELECTRICIAN_3 = (SkillRequirement("electrician", 3),)


@pytest.fixture
def city(factory):
    """A city with a district and two grids in it; returns their ids."""
    city = factory.region((116.0, 39.0, 117.0, 40.0), level="city")
    district = factory.region((116.0, 39.0, 116.5, 39.5), level="district", parent_id=city)
    grid_a = factory.region((116.0, 39.0, 116.25, 39.25), level="grid", parent_id=district)
    grid_b = factory.region((116.25, 39.0, 116.5, 39.25), level="grid", parent_id=district)
    return {"city": city, "district": district, "grid_a": grid_a, "grid_b": grid_b}


def _ids(app, **requirements):
    with app.app_context():
        return [e.technician_id for e in eligible_technicians(Requirements(**requirements))]


def test_unapproved_technicians_are_never_eligible(app, factory, city):
    approved = factory.technician(region_ids=[city["city"]], skills=[("electrician", 4)])
    for status in ("onboarding", "submitted", "rejected"):
        factory.technician(status=status, region_ids=[city["city"]], skills=[("electrician", 4)])
    assert _ids(app, region_id=city["grid_a"], role_code="repair", skills=ELECTRICIAN_3) == [approved]


def test_an_expired_skill_stops_counting_at_once(app, factory, city):
    valid = factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 3, TODAY)])
    factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 5, TODAY - timedelta(days=1))])
    # Still "verified" in the table (the daily job has not run): dates decide, not the state.
    assert _ids(app, region_id=city["grid_a"], skills=ELECTRICIAN_3) == [valid]
    assert _ids(app, region_id=city["grid_a"], skills=ELECTRICIAN_3, on_date=TODAY + timedelta(days=1)) == []


def test_a_skill_below_the_level_asked_is_not_enough(app, factory, city):
    factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 2)])
    exact = factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 3)])
    assert _ids(app, region_id=city["grid_a"], skills=ELECTRICIAN_3) == [exact]


def test_pending_rejected_and_other_skills_do_not_count(app, factory, city):
    for state in ("pending", "rejected", "expired"):
        factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 5, None, state)])
    factory.technician(region_ids=[city["grid_a"]], skills=[("welding", 5)])
    assert _ids(app, region_id=city["grid_a"], skills=ELECTRICIAN_3) == []


def test_every_required_skill_must_hold(app, factory, city):
    both = factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 3), ("working_at_height", 2)])
    factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 5)])
    need = (*ELECTRICIAN_3, SkillRequirement("working_at_height", 2))
    with app.app_context():
        found = eligible_technicians(Requirements(region_id=city["grid_a"], skills=need))
    assert [e.technician_id for e in found] == [both]
    assert found[0].skill_levels == {"electrician": 3, "working_at_height": 2} and found[0].role_code == "repair"


def test_the_role_must_match(app, factory, city):
    factory.technician(role="construction", region_ids=[city["grid_a"]])
    repair = factory.technician(role="repair", region_ids=[city["grid_a"]])
    assert _ids(app, region_id=city["grid_a"], role_code="repair") == [repair]


def test_a_parent_region_covers_its_grids_but_a_sibling_grid_does_not(app, factory, city):
    in_city = factory.technician(region_ids=[city["city"]])
    in_district = factory.technician(region_ids=[city["district"]])
    in_grid_a = factory.technician(region_ids=[city["grid_a"]])
    factory.technician(region_ids=[city["grid_b"]])
    factory.technician(region_ids=[])
    assert _ids(app, region_id=city["grid_a"]) == [in_city, in_district, in_grid_a]
    assert _ids(app, region_id=city["district"]) == [in_city, in_district]


def test_a_point_is_matched_by_the_regions_that_cover_it(app, factory, city):
    in_city = factory.technician(region_ids=[city["city"]])
    factory.technician(region_ids=[city["grid_b"]])
    in_grid_a = factory.technician(region_ids=[city["grid_a"]])
    assert _ids(app, point=(116.1, 39.1)) == [in_city, in_grid_a]
    assert _ids(app, point=(120.0, 30.0)) == []


def test_a_requested_region_is_not_a_membership(app, factory, city):
    technician = factory.technician(region_ids=[])
    with app.app_context():
        db.session.execute(
            text(
                "INSERT INTO technician_regions (technician_id, region_id, state, created_at) "
                "VALUES (:t, :r, 'requested', now())"
            ),
            {"t": technician, "r": city["grid_a"]},
        )
        db.session.commit()
    assert _ids(app, region_id=city["grid_a"]) == []


def test_online_only_reads_presence_heartbeats(app, factory, city):
    fresh = factory.technician(region_ids=[city["grid_a"]])
    stale = factory.technician(region_ids=[city["grid_a"]])
    with app.app_context():
        get_redis().zadd(PRESENCE_KEY, {str(fresh): time.time() - 10, str(stale): time.time() - 200})
    assert _ids(app, region_id=city["grid_a"], online_only=True) == [fresh]
    assert _ids(app, region_id=city["grid_a"]) == [fresh, stale]


def test_the_daily_job_marks_lapsed_skills_expired_and_audits_it(app, factory, city):
    technician = factory.technician(skills=[("electrician", 3, TODAY - timedelta(days=1)), ("welding", 2, TODAY)])
    with app.app_context():
        assert expire_skills() == 1
        assert expire_skills() == 0
        states = db.session.execute(
            text("SELECT s.code, t.state FROM technician_skills t JOIN skills s ON s.id = t.skill_id ORDER BY s.code")
        ).all()
        audit = db.session.execute(text("SELECT action, technician_id, actor_id FROM workforce_audit")).all()
    assert [tuple(r) for r in states] == [("electrician", "expired"), ("welding", "verified")]
    assert [tuple(r) for r in audit] == [("skill.expired", technician, None)]


def test_the_expiry_job_is_scheduled_daily():
    from backend.jobs.schedule import PERIODIC_JOBS

    job = next(p for p in PERIODIC_JOBS if p.func is expire_skills)
    assert job.cron and job.interval is None


def test_requirements_default_to_today(app, factory, city):
    technician = factory.technician(region_ids=[city["grid_a"]], skills=[("electrician", 3, date(2099, 1, 1))])
    assert _ids(app, skills=ELECTRICIAN_3) == [technician]


def _sql(app, statement, **params):
    with app.app_context():
        db.session.execute(text(statement), params)
        db.session.commit()


def test_approval_role_and_account_changes_apply_at_once(app, factory, city):
    """Eligibility by region reads approval and role from copies on the memberships (migration
    0015_candidates): every change to the profile, the role or the account must reach them."""
    tid = factory.technician(role="repair", region_ids=[city["grid_a"]])
    repair = {"region_id": city["grid_a"], "role_code": "repair"}
    assert _ids(app, **repair) == [tid]
    _sql(app, "UPDATE technician_profiles SET status = 'submitted' WHERE technician_id = :t", t=tid)
    assert _ids(app, **repair) == []
    _sql(app, "UPDATE technician_profiles SET status = 'approved' WHERE technician_id = :t", t=tid)
    assert _ids(app, **repair) == [tid]
    _sql(app, "UPDATE technician_profiles SET role_id = (SELECT id FROM technician_roles WHERE code = 'construction')")
    assert _ids(app, **repair) == [] and _ids(app, region_id=city["grid_a"], role_code="construction") == [tid]
    _sql(app, "UPDATE users SET is_active = false WHERE id = (SELECT user_id FROM technicians WHERE id = :t)", t=tid)
    assert _ids(app, region_id=city["grid_a"]) == []
    _sql(app, "UPDATE users SET is_active = true WHERE id = (SELECT user_id FROM technicians WHERE id = :t)", t=tid)
    _sql(app, "INSERT INTO technician_regions (technician_id, region_id, state, created_at) "
              "VALUES (:t, :r, 'active', now())", t=tid, r=city["grid_b"])  # fmt: skip
    assert _ids(app, region_id=city["grid_b"]) == [tid], "a new membership carries the standing at once"
    _sql(app, "DELETE FROM technician_profiles WHERE technician_id = :t", t=tid)
    assert _ids(app, region_id=city["grid_a"]) == [] and _ids(app, region_id=city["grid_b"]) == []


def test_eligibility_agrees_with_the_requirement_checks(app, factory, city):
    """The eligibility statement (memberships' copies) and the console's reasons (the profile,
    account and memberships themselves) are two statements of one rule."""
    from backend.workforce.eligibility import unmet_requirements

    everyone = [
        factory.technician(status=status, role=role, region_ids=regions, skills=skills)
        for status in ("approved", "submitted")
        for role in ("repair", "construction", None)
        for regions in ([city["grid_a"]], [city["district"]], [city["grid_b"]], [])
        for skills in ([("electrician", 3)], [])
    ]
    _sql(app, "UPDATE users SET is_active = false WHERE id IN (SELECT user_id FROM technicians WHERE id % 5 = 0)")
    _sql(app, "UPDATE technician_regions SET state = 'requested' WHERE technician_id % 7 = 0")
    asks = [
        Requirements(region_id=city["grid_a"]),
        Requirements(region_id=city["grid_a"], role_code="repair", skills=ELECTRICIAN_3),
        Requirements(region_id=city["district"], role_code="construction"),
        Requirements(point=(116.1, 39.1), role_code="repair"),
        Requirements(region_id=city["grid_b"], point=(116.3, 39.1), skills=ELECTRICIAN_3),
        Requirements(role_code="repair"),
    ]
    with app.app_context():
        for req in asks:
            unmet = unmet_requirements(req, everyone)
            expected = [tid for tid in everyone if not unmet[tid]]
            assert [e.technician_id for e in eligible_technicians(req)] == expected, req
            assert expected, f"{req} should find someone"
