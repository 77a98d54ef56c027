"""A technician's composite answers (summary and detail), gathered from several tables; rows
inside them (skills, certifications, role changes) are dumped by the schemas in schemas.py.
Sensitive numbers appear only masked."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import Certification, RoleChangeRequest, Technician, TechnicianSkill
from backend.pii import mask_phone
from backend.tracking.presence import online_technician_ids
from backend.workforce.records import memberships, signing_record
from backend.workforce.service import missing_items, profile_of, signature_of_current


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
        "role": profile.role,
        "legal_name": profile.legal_name,
        "id_number": profile.id_number_masked,
        "id_valid_from": profile.id_valid_from,
        "id_valid_to": _valid_to_out(profile),
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
    out["skills"] = list(skills_of(technician.id))
    out["certifications"] = list(certifications_of(technician.id))
    signature = signature_of_current(technician.id)
    out["agreement"] = signature_out(signature) if signature else None
    pending = db.session.scalar(
        select(RoleChangeRequest).where(
            RoleChangeRequest.technician_id == technician.id, RoleChangeRequest.state == "pending"
        )
    )
    out["pending_role_change"] = pending
    return out


def _valid_to_out(profile) -> str | None:
    if profile.id_valid_from is None:
        return None
    return profile.id_valid_to.isoformat() if profile.id_valid_to else "long_term"


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


def signature_out(signature) -> dict:
    return {
        "id": signature.id,
        "record": signing_record(signature),
        "provider": signature.provider,
        "key_id": signature.key_id,
        "signature": signature.signature,
        "algorithm": "Ed25519",
    }
