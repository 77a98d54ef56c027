"""Demo technicians for the live map: approved, each serving one district of the demo city,
with a role, a few verified skills and location consent; the demo dispatcher manages the city.

Idempotent: technicians are found by phone, memberships and consents by their keys.
Phones are 1390000NNNN; the password is the demo password.
"""

from datetime import UTC, date, datetime

import click
from sqlalchemy import select

from backend.accounts.passwords import hash_password
from backend.extensions import db
from backend.models import (
    DispatcherRegion,
    LocationConsent,
    Region,
    Role,
    Skill,
    Technician,
    TechnicianProfile,
    TechnicianRegion,
    TechnicianSkill,
    User,
)
from backend.seed.demo_city import DEMO_PASSWORD, DISTRICTS

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超", "秀英", "华", "平")
ROLES = ("daily_maintenance", "repair", "generator_operator", "construction", "monitoring")
SKILL_SETS = (
    (("electrician", 3), ("battery_maintenance", 4)),
    (("fibre_splicing", 4), ("rf_testing", 2)),
    (("generator_operation", 5), ("electrician", 2)),
    (("tower_climbing", 3), ("working_at_height", 4)),
    (("hvac", 3), ("battery_maintenance", 2)),
)


def demo_phone(index: int) -> str:
    return f"1390000{index:04d}"


def seed(count: int = 40) -> list[int]:
    """Create (or find) `count` demo technicians; returns their ids."""
    districts = [db.session.scalar(select(Region).where(Region.code == f"CD-{code}")) for code, *_ in DISTRICTS]
    districts = [d for d in districts if d is not None]
    if not districts:
        raise click.ClickException("seed the demo city first (its districts are missing)")
    password_hash = hash_password(DEMO_PASSWORD)
    ids = [_ensure_technician(i, districts[i % len(districts)], password_hash) for i in range(count)]
    _ensure_dispatcher_city()
    db.session.commit()
    click.echo(f"demo technicians ready: {len(ids)} (phones {demo_phone(0)}..{demo_phone(count - 1)})")
    return ids


def _ensure_technician(index: int, district: Region, password_hash: str) -> int:
    phone = demo_phone(index)
    user = db.session.scalar(select(User).where(User.phone == phone))
    if user is None:
        name = SURNAMES[index % len(SURNAMES)] + GIVEN[(index * 7) % len(GIVEN)]
        user = User(phone=phone, name=name, role="technician", password_hash=password_hash)
        db.session.add(Technician(user=user))
        db.session.flush()
    technician = db.session.scalar(select(Technician).where(Technician.user_id == user.id))
    _ensure_profile(technician.id, ROLES[index % len(ROLES)])
    _ensure_skills(technician.id, SKILL_SETS[index % len(SKILL_SETS)])
    if db.session.get(TechnicianRegion, (technician.id, district.id)) is None:
        db.session.add(TechnicianRegion(technician_id=technician.id, region_id=district.id, state="active"))
    _ensure_consent(technician.id)
    return technician.id


def _ensure_profile(technician_id: int, role_code: str) -> None:
    profile = db.session.get(TechnicianProfile, technician_id)
    role_id = db.session.scalar(select(Role.id).where(Role.code == role_code))
    if profile is None:
        profile = TechnicianProfile(technician_id=technician_id)
        db.session.add(profile)
    profile.status, profile.role_id = "approved", profile.role_id or role_id
    profile.reviewed_at = profile.reviewed_at or datetime.now(UTC)


def _ensure_skills(technician_id: int, skills) -> None:
    held = set(
        db.session.scalars(select(TechnicianSkill.skill_id).where(TechnicianSkill.technician_id == technician_id))
    )
    for code, level in skills:
        skill_id = db.session.scalar(select(Skill.id).where(Skill.code == code))
        if skill_id and skill_id not in held:
            db.session.add(
                TechnicianSkill(
                    technician_id=technician_id,
                    skill_id=skill_id,
                    level=level,
                    valid_from=date(2025, 1, 1),
                    state="verified",
                    certificate_no=f"DEMO-{technician_id}-{code}"[:64],
                )
            )


def _ensure_consent(technician_id: int) -> None:
    open_consent = db.session.scalar(
        select(LocationConsent.id).where(
            LocationConsent.technician_id == technician_id, LocationConsent.withdrawn_at.is_(None)
        )
    )
    if open_consent is None:
        db.session.add(LocationConsent(technician_id=technician_id, notice_version="2026-11", device="demo seed"))


def _ensure_dispatcher_city() -> None:
    dispatcher = db.session.scalar(select(User).where(User.email == "dispatcher@gridwork.demo"))
    city = db.session.scalar(select(Region).where(Region.code == "CD"))
    if dispatcher and city and db.session.get(DispatcherRegion, (dispatcher.id, city.id)) is None:
        db.session.add(DispatcherRegion(user_id=dispatcher.id, region_id=city.id))
