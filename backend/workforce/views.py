"""Technician records as response dicts. Sensitive numbers appear only masked."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import Certification, Role, RoleChangeRequest, Technician, TechnicianSkill
from backend.pii import mask_phone
from backend.workforce.eligibility import online_technician_ids
from backend.workforce.records import memberships, signing_record
from backend.workforce.service import missing_items, profile_of, signature_of_current


def role_out(role: Role | None) -> dict | None:
    return {"id": role.id, "code": role.code, "name": role.name} if role else None


def technician_out(technician: Technician, online_ids=None) -> dict:
    """The summary shown in lists and detail views."""
    profile = profile_of(technician.id)
    online_ids = online_technician_ids() if online_ids is None else online_ids
    return {
        "id": technician.id,
        "user_id": technician.user_id,
        "name": technician.user.name,
        "phone": mask_phone(technician.user.phone or ""),
        "status": profile.status,
        "role": role_out(profile.role),
        "legal_name": profile.legal_name,
        "id_number": profile.id_number_masked,
        "has_id_photo": profile.id_photo_sha256 is not None,
        "payout_account": _payout_out(profile),
        "regions": [{"region_id": r, "state": s} for r, s in sorted(memberships(technician.id).items())],
        "missing": missing_items(profile),
        "submitted_at": profile.submitted_at,
        "reviewed_at": profile.reviewed_at,
        "review_note": profile.review_note,
        "online": technician.id in online_ids,
        "created_at": technician.created_at,
    }


def technician_detail(technician: Technician) -> dict:
    """Everything about one technician: skills, certifications, agreement, open role change."""
    out = technician_out(technician)
    out["skills"] = [skill_out(s) for s in skills_of(technician.id)]
    out["certifications"] = [certification_out(c) for c in certifications_of(technician.id)]
    signature = signature_of_current(technician.id)
    out["agreement"] = signature_out(signature) if signature else None
    pending = db.session.scalar(
        select(RoleChangeRequest).where(
            RoleChangeRequest.technician_id == technician.id, RoleChangeRequest.state == "pending"
        )
    )
    out["pending_role_change"] = role_change_out(pending) if pending else None
    return out


def _payout_out(profile) -> dict | None:
    if profile.payout_kind is None:
        return None
    return {"kind": profile.payout_kind, "account": profile.payout_account_masked, "bank_name": profile.bank_name}


def skills_of(technician_id: int):
    return db.session.scalars(
        select(TechnicianSkill).where(TechnicianSkill.technician_id == technician_id).order_by(TechnicianSkill.id)
    )


def certifications_of(technician_id: int):
    return db.session.scalars(
        select(Certification).where(Certification.technician_id == technician_id).order_by(Certification.id)
    )


def skill_out(record: TechnicianSkill) -> dict:
    fields = (
        "id",
        "technician_id",
        "level",
        "certificate_no",
        "issuer",
        "valid_from",
        "valid_until",
        "evidence_sha256",
        "state",
        "verified_by_id",
        "decided_at",
        "decision_note",
        "created_at",
    )
    return {**{f: getattr(record, f) for f in fields}, "skill": record.skill.code, "skill_name": record.skill.name}


def certification_out(cert: Certification) -> dict:
    fields = (
        "id",
        "technician_id",
        "kind",
        "score",
        "years",
        "item",
        "reference_no",
        "valid_until",
        "evidence_sha256",
        "verified",
        "recorded_by_id",
        "created_at",
    )
    return {f: getattr(cert, f) for f in fields}


def role_change_out(request: RoleChangeRequest) -> dict:
    fields = (
        "id",
        "technician_id",
        "reason",
        "state",
        "requested_by_id",
        "decided_by_id",
        "decided_at",
        "decision_note",
        "created_at",
    )
    return {
        **{f: getattr(request, f) for f in fields},
        "from_role": role_out(request.from_role),
        "to_role": role_out(request.to_role),
    }


def signature_out(signature) -> dict:
    return {
        "id": signature.id,
        "record": signing_record(signature),
        "provider": signature.provider,
        "key_id": signature.key_id,
        "signature": signature.signature,
        "algorithm": "Ed25519",
    }
