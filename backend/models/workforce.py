"""Workforce: technician profiles, role and skill catalogues, skill records, regions,
role-change requests, certifications, agreements and the audit trail.

Sensitive personal information (ID number, payout account) is stored only as
ciphertext (`*_enc`), a keyed hash for uniqueness (`*_hash`) and a masked form.
"""

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    FetchedValue,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.accounts import Technician
from backend.models.base import Timestamped, check_in, utcnow

PROFILE_STATES = ("onboarding", "submitted", "approved", "rejected")
PAYOUT_KINDS = ("bank_card", "alipay")
SKILL_STATES = ("pending", "verified", "rejected", "expired")
REQUEST_STATES = ("pending", "approved", "rejected")
REGION_STATES = ("requested", "active")
CERT_KINDS = ("exam_practical", "exam_theory", "experience", "equipment", "health_certificate", "insurance")
EQUIPMENT = ("generator", "vehicle", "tools")
MAX_SKILL_LEVEL = 5


class Role(Timestamped, db.Model):
    """A technician role from the catalogue (seeded with seven; admins add more)."""

    __tablename__ = "technician_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(500))


class Skill(Timestamped, db.Model):
    """A skill from the catalogue; technicians hold it at a level 1..5."""

    __tablename__ = "skills"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(500))
    requires_certificate: Mapped[bool] = mapped_column(default=False)


class TechnicianProfile(db.Model):
    """One technician's onboarding record and review state (one row per technician)."""

    __tablename__ = "technician_profiles"
    __table_args__ = (
        check_in("status", PROFILE_STATES, "ck_technician_profiles_status"),
        check_in("payout_kind", PAYOUT_KINDS, "ck_technician_profiles_payout_kind"),
        # Eligibility checks approval and role per technician, index only (migration 0012).
        Index(
            "ix_technician_profiles_approved", "technician_id", "role_id", postgresql_where=text("status = 'approved'")
        ),
    )

    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="onboarding", index=True)
    role_id: Mapped[int | None] = mapped_column(ForeignKey("technician_roles.id"), index=True)
    phone_verified_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    legal_name: Mapped[str | None] = mapped_column(String(120))
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date)
    id_photo_sha256: Mapped[str | None] = mapped_column(String(64))
    # The ID card's validity (有效期限); a card valid from a date with no end is long-term (长期).
    id_valid_from: Mapped[date | None] = mapped_column(Date)
    id_valid_to: Mapped[date | None] = mapped_column(Date)
    payout_kind: Mapped[str | None] = mapped_column(String(16))
    payout_account_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    payout_account_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    payout_account_masked: Mapped[str | None] = mapped_column(String(64))
    bank_name: Mapped[str | None] = mapped_column(String(120))
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    review_note: Mapped[str | None] = mapped_column(String(500))

    technician: Mapped[Technician] = relationship()
    role: Mapped[Role | None] = relationship()


class TechnicianSkill(Timestamped, db.Model):
    """A technician's claim to a skill at a level, with its certificate and verification."""

    __tablename__ = "technician_skills"
    __table_args__ = (
        check_in("state", SKILL_STATES, "ck_technician_skills_state"),
        CheckConstraint(f"level BETWEEN 1 AND {MAX_SKILL_LEVEL}", name="ck_technician_skills_level"),
        CheckConstraint("valid_until IS NULL OR valid_until >= valid_from", name="ck_technician_skills_validity"),
        Index("ix_technician_skills_match", "skill_id", "state", "level"),
        # Eligibility probes a technician's valid skills without visiting the table (migration 0012).
        Index(
            "ix_technician_skills_valid",
            "technician_id",
            "skill_id",
            "level",
            postgresql_include=["valid_from", "valid_until"],
            postgresql_where=text("state = 'verified'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id"))
    level: Mapped[int] = mapped_column(Integer)
    certificate_no: Mapped[str | None] = mapped_column(String(64))
    issuer: Mapped[str | None] = mapped_column(String(120))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(500))

    skill: Mapped[Skill] = relationship()


class TechnicianRegion(Timestamped, db.Model):
    """Membership of a technician in a region or grid: requested by them, or active."""

    __tablename__ = "technician_regions"
    __table_args__ = (
        check_in("state", REGION_STATES, "ck_technician_regions_state"),
        # Eligibility starts from the active members of the order's regions (migration 0012).
        Index("ix_technician_regions_active", "region_id", "technician_id", postgresql_where=text("state = 'active'")),
        # Region + role + approval from the index alone (migration 0015_candidates).
        Index(
            "ix_technician_regions_ready",
            "region_id",
            "role_id",
            "technician_id",
            postgresql_where=text("state = 'active' AND ready"),
        ),
    )

    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"), primary_key=True, index=True)
    state: Mapped[str] = mapped_column(String(16), default="active")
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Copies written by the database's triggers only (migration 0015_candidates): the profile's
    # role, and whether the profile is approved and the account active. Eligibility reads them.
    role_id: Mapped[int | None] = mapped_column(Integer, server_default=FetchedValue())
    ready: Mapped[bool] = mapped_column(Boolean, server_default=false())


class RoleChangeRequest(Timestamped, db.Model):
    """A request to change a technician's role; takes effect only when a platform admin approves."""

    __tablename__ = "role_change_requests"
    __table_args__ = (
        check_in("state", REQUEST_STATES, "ck_role_change_requests_state"),
        # At most one open request per technician.
        Index(
            "uq_role_change_requests_one_pending", "technician_id", unique=True, postgresql_where="state = 'pending'"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    from_role_id: Mapped[int | None] = mapped_column(ForeignKey("technician_roles.id"))
    to_role_id: Mapped[int] = mapped_column(ForeignKey("technician_roles.id"))
    reason: Mapped[str | None] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decision_note: Mapped[str | None] = mapped_column(String(500))

    from_role: Mapped[Role | None] = relationship(foreign_keys=[from_role_id])
    to_role: Mapped[Role] = relationship(foreign_keys=[to_role_id])


class Certification(Timestamped, db.Model):
    """Exam results, an experience check, equipment held, health and insurance certificates."""

    __tablename__ = "technician_certifications"
    __table_args__ = (
        check_in("kind", CERT_KINDS, "ck_technician_certifications_kind"),
        CheckConstraint("score IS NULL OR score BETWEEN 0 AND 100", name="ck_technician_certifications_score"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    score: Mapped[int | None] = mapped_column(Integer)  # exams: 0..100
    years: Mapped[int | None] = mapped_column(Integer)  # experience: verified years
    item: Mapped[str | None] = mapped_column(String(32))  # equipment: generator, vehicle, tools
    reference_no: Mapped[str | None] = mapped_column(String(64))
    valid_until: Mapped[date | None] = mapped_column(Date)
    evidence_sha256: Mapped[str | None] = mapped_column(String(64))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    verified: Mapped[bool] = mapped_column(default=False)


class AgreementTemplate(Timestamped, db.Model):
    """A versioned agreement text; the newest version of a code is the one to sign."""

    __tablename__ = "agreement_templates"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_agreement_templates_code_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    body_sha256: Mapped[str] = mapped_column(String(64))


class AgreementSignature(Timestamped, db.Model):
    """A technician's signature of one template version, sealed by the platform."""

    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("technician_id", "template_id", name="uq_agreement_signatures_once"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("agreement_templates.id"))
    text_sha256: Mapped[str] = mapped_column(String(64))
    signer_name: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64))
    device: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(32))
    signature: Mapped[str] = mapped_column(String(128))

    template: Mapped[AgreementTemplate] = relationship()


class WorkforceAudit(db.Model):
    """Who did what to which technician record, when, and the state before and after."""

    __tablename__ = "workforce_audit"
    __table_args__ = (Index("ix_workforce_audit_technician", "technician_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)  # None: the system (jobs)
    action: Mapped[str] = mapped_column(String(64), index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id", ondelete="SET NULL"))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSONB)
    after: Mapped[dict | None] = mapped_column(JSONB)
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
