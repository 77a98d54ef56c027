"""Region memberships, certifications and agreement signatures of technicians."""

from datetime import UTC, datetime

from sqlalchemy import select

from backend import esign, storage
from backend.accounts.actor import Actor
from backend.errors import Conflict, NotFound, PlainProblem, field_error
from backend.extensions import db
from backend.models import AgreementSignature, Certification, Region, TechnicianProfile, TechnicianRegion
from backend.workforce import audit
from backend.workforce.scoping import region_reach
from backend.workforce.service import current_template


def _invalid(field, message):
    raise PlainProblem(f"invalid {field}: {message}", errors=[field_error(field, message)])


def _region_not_found(field):
    raise NotFound("region", errors=[field_error(field, "no such region")])


# --- regions -------------------------------------------------------------------------------


def memberships(technician_id: int) -> dict[int, str]:
    rows = db.session.execute(
        select(TechnicianRegion.region_id, TechnicianRegion.state).where(
            TechnicianRegion.technician_id == technician_id
        )
    )
    return dict(rows.all())


def assign_regions(technician_id: int, region_ids: list[int], actor: Actor):
    """Make exactly these regions the technician's active ones: any region for a platform admin;
    for a dispatcher, among the regions they manage (another region answers like a missing one,
    and memberships in regions they do not manage stay as they are).
    Requests for regions not named stay open; requests for named ones are granted."""
    actor_id = actor.user_id
    wanted = sorted(set(region_ids))
    found = set(db.session.scalars(select(Region.id).where(Region.id.in_(wanted)))) if wanted else set()
    reach = region_reach(actor)
    if reach is not None:
        found &= reach
    if missing := [r for r in wanted if r not in found]:
        _region_not_found(f"region_ids.{wanted.index(missing[0])}")
    current = memberships(technician_id)
    before = sorted(r for r, state in current.items() if state == "active")
    # A dispatcher's change leaves the memberships of regions they do not manage as they are.
    kept = [r for r in before if reach is not None and r not in reach]
    for region_id in before:
        if region_id not in wanted and region_id not in kept:
            db.session.delete(db.session.get(TechnicianRegion, (technician_id, region_id)))
    for region_id in wanted:
        row = db.session.get(TechnicianRegion, (technician_id, region_id)) or TechnicianRegion(
            technician_id=technician_id, region_id=region_id
        )
        row.state, row.assigned_by_id = "active", actor_id
        db.session.add(row)
    audit.record(
        "regions.assigned",
        actor_id=actor_id,
        technician_id=technician_id,
        subject_type="technician_regions",
        subject_id=technician_id,
        before={"region_ids": before},
        after={"region_ids": sorted({*wanted, *kept})},
    )


def request_region(technician_id: int, region_id: int):
    """A technician asks to serve a platform region; a dispatcher grants it by assigning.
    Client-owned regions are private to their tenant: they answer 404 here."""
    region = db.session.get(Region, region_id)
    if region is None or region.org_id is not None:
        _region_not_found("region_id")
    if region_id in memberships(technician_id):
        return db.session.get(TechnicianRegion, (technician_id, region_id))
    row = TechnicianRegion(technician_id=technician_id, region_id=region_id, state="requested")
    db.session.add(row)
    return row


# --- certifications --------------------------------------------------------------------------

KIND_FIELDS = {
    "exam_practical": "score",
    "exam_theory": "score",
    "experience": "years",
    "equipment": "item",
    "health_certificate": "valid_until",
    "insurance": "valid_until",
}


def add_certification(technician_id: int, body: dict, actor_id: int, *, verified: bool) -> Certification:
    """Record an exam, experience check, equipment or certificate; staff records are verified."""
    needed = KIND_FIELDS[body["kind"]]
    if body.get(needed) is None:
        _invalid(needed, f"required for {body['kind']}")
    evidence = body.get("evidence_sha256")
    if evidence is not None and not storage.exists(evidence):
        _invalid("evidence_sha256", "upload the evidence first (POST /files) and send its sha256")
    cert = Certification(
        technician_id=technician_id,
        kind=body["kind"],
        score=body.get("score"),
        years=body.get("years"),
        item=body.get("item"),
        reference_no=body.get("reference_no"),
        valid_until=body.get("valid_until"),
        evidence_sha256=evidence,
        recorded_by_id=actor_id,
        verified=verified,
    )
    db.session.add(cert)
    db.session.flush()
    if verified:
        audit.record(
            "certification.recorded",
            actor_id=actor_id,
            technician_id=technician_id,
            subject_type="certification",
            subject_id=cert.id,
            after={k: body.get(k) for k in ("kind", "score", "years", "item", "valid_until")},
        )
    return cert


# --- agreement signing -------------------------------------------------------------------------


def signing_record(signature: AgreementSignature) -> dict:
    """The signed fields of a stored signature, exactly as they were sealed."""
    template = signature.template
    return {
        "agreement_code": template.code,
        "agreement_version": template.version,
        "text_sha256": signature.text_sha256,
        "technician_id": signature.technician_id,
        "signer_name": signature.signer_name,
        "signed_at": _stamp(signature.signed_at),
        "ip": signature.ip,
        "device": signature.device,
    }


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sign_current_agreement(profile: TechnicianProfile, version: int, shown_sha256: str, ip: str, device: str):
    """Sign the newest service agreement. The app sends the SHA-256 of the text it showed, so
    the record proves which exact text was accepted; the platform seals the record."""
    template = current_template()
    if version != template.version:
        _invalid("version", f"version {template.version} is the one to sign")
    if shown_sha256.lower() != template.body_sha256:
        _invalid("text_sha256", "does not match the agreement text of this version")
    if profile.legal_name is None:
        raise Conflict("verify your identity before signing", errors=[field_error("identity", "required first")])
    existing = db.session.scalar(
        select(AgreementSignature).where(
            AgreementSignature.technician_id == profile.technician_id, AgreementSignature.template_id == template.id
        )
    )
    if existing:
        return existing
    signature = AgreementSignature(
        technician_id=profile.technician_id,
        template=template,
        text_sha256=template.body_sha256,
        signer_name=profile.legal_name,
        signed_at=datetime.now(UTC).replace(microsecond=0),
        ip=ip or "unknown",
        device=device,
        provider="",
        key_id="",
        signature="",
    )
    seal = esign.platform_signer().seal(signing_record(signature))
    signature.provider, signature.key_id, signature.signature = seal.provider, seal.key_id, seal.signature
    db.session.add(signature)
    db.session.flush()
    return signature
