"""Skill profile: radar-chart dimensions, 0-100 each, with how each value is derived.

Only evidence that counts today is used: verified skill records valid today,
the latest exam results, staff-verified experience, equipment held, and health
and insurance certificates that have not expired.
"""

from datetime import UTC, datetime

from sqlalchemy import select

from backend.extensions import db
from backend.models import Certification, Skill, TechnicianSkill
from backend.models.workforce import MAX_SKILL_LEVEL
from backend.workforce.eligibility import skill_valid_on

SKILL_POINTS_FULL = 15  # e.g. three skills at level 5, or five at level 3
EXPERIENCE_YEARS_FULL = 5
EQUIPMENT_POINTS = {"generator": 40, "vehicle": 35, "tools": 25}


def skill_profile(technician_id: int) -> dict:
    today = datetime.now(UTC).date()
    skills = _valid_skills(technician_id, today)
    certs = list(
        db.session.scalars(
            select(Certification).where(Certification.technician_id == technician_id).order_by(Certification.id)
        )
    )
    dimensions = [
        _skills_dimension(skills),
        _exam_dimension(certs, "exam_theory", "theory", "Theory exam"),
        _exam_dimension(certs, "exam_practical", "practical", "Practical exam"),
        _experience_dimension(certs),
        _equipment_dimension(certs),
        _compliance_dimension(certs, today),
    ]
    return {"technician_id": technician_id, "as_of": today, "dimensions": dimensions}


def _dimension(key, label, value, derivation, inputs):
    return {
        "key": key,
        "label": label,
        "value": max(0, min(100, round(value))),
        "derivation": derivation,
        "inputs": inputs,
    }


def _valid_skills(technician_id, today):
    rows = db.session.execute(
        select(Skill.code, TechnicianSkill.level)
        .join(Skill, Skill.id == TechnicianSkill.skill_id)
        .where(
            TechnicianSkill.technician_id == technician_id,
            skill_valid_on(today),
        )
    )
    best = {}
    for code, level in rows:
        best[code] = max(level, best.get(code, 0))
    return best


def _skills_dimension(skills):
    points = sum(skills.values())
    return _dimension(
        "skills",
        "Skills",
        100 * points / SKILL_POINTS_FULL,
        f"sum of levels (1-{MAX_SKILL_LEVEL}) of verified skills valid today, {SKILL_POINTS_FULL} = 100",
        {"levels": skills, "points": points},
    )


def _latest(certs, kind, verified_only=True):
    matching = [c for c in certs if c.kind == kind and (c.verified or not verified_only)]
    return matching[-1] if matching else None


def _exam_dimension(certs, kind, key, label):
    latest = _latest(certs, kind)
    return _dimension(
        key,
        label,
        latest.score if latest else 0,
        f"score of the latest recorded {label.lower()} (0-100); 0 if none",
        {"score": latest.score if latest else None},
    )


def _experience_dimension(certs):
    latest = _latest(certs, "experience")
    years = latest.years if latest else 0
    return _dimension(
        "experience",
        "Experience",
        100 * years / EXPERIENCE_YEARS_FULL,
        f"years of field experience checked by staff, {EXPERIENCE_YEARS_FULL} years = 100",
        {"years": years},
    )


def _equipment_dimension(certs):
    held = sorted({c.item for c in certs if c.kind == "equipment" and c.item in EQUIPMENT_POINTS})
    return _dimension(
        "equipment",
        "Equipment",
        sum(EQUIPMENT_POINTS[i] for i in held),
        "generator 40 + vehicle 35 + tools 25, for equipment declared or recorded",
        {"held": held},
    )


def _compliance_dimension(certs, today):
    valid = {
        kind: any(c.kind == kind and c.valid_until and c.valid_until >= today for c in certs)
        for kind in ("health_certificate", "insurance")
    }
    return _dimension(
        "compliance",
        "Health and insurance",
        50 * sum(valid.values()),
        "50 for a health certificate valid today + 50 for insurance valid today",
        valid,
    )
