"""Technician onboarding and the console's decisions about technicians.

Services validate, change rows and write audit rows; they never commit (the
handler does, once per request). Plaintext ID and card numbers live only in
local variables here: they are encrypted, hashed and masked before any row sees
them, and never passed to a logger.
"""

import re
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from stdnum.cn import ric
from stdnum.exceptions import InvalidChecksum, InvalidComponent, ValidationError

from backend import esign, pii, storage
from backend.accounts.passwords import hash_password
from backend.errors import Conflict, NotFound, PlainProblem, field_error
from backend.extensions import db
from backend.models import (
    AgreementSignature,
    AgreementTemplate,
    Role,
    RoleChangeRequest,
    Skill,
    Technician,
    TechnicianProfile,
    TechnicianSkill,
    User,
)
from backend.workforce import audit, banks

ADULT_AGE = 18
SERVICE_AGREEMENT = "service"
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
LOCKED_WHILE = ("submitted", "approved")  # identity cannot change under review or once approved


def today() -> date:
    return datetime.now(UTC).date()


def _invalid(field, message, status=422):
    raise PlainProblem(f"invalid {field}: {message}", status=status, errors=[field_error(field, message)])


def _not_found(detail: str) -> NotFound:
    # NotFound words its detail "<what> not found"; these answers always said more.
    error = NotFound()
    error.detail = detail
    return error


def _conflict(field, message):
    raise Conflict(message, errors=[field_error(field, message)])


# --- registration -----------------------------------------------------------------


def normalize_phone(raw: str, field="phone") -> str:
    """Mainland mobile numbers, with or without +86 / 86 and separators."""
    phone = re.sub(r"[\s-]", "", raw or "")
    phone = re.sub(r"^(\+?86)(?=1\d{10}$)", "", phone)
    if not PHONE_RE.match(phone):
        _invalid(field, "must be a mainland China mobile number (11 digits starting with 1)")
    return phone


def register_technician(phone: str, password: str, name: str) -> User:
    """A technician account with a verified phone and an empty profile."""
    if db.session.scalar(select(User.id).where(User.phone == phone)):
        _conflict("phone", "this phone number is already registered")
    user = User(phone=phone, name=name, role="technician", org_id=None, password_hash=hash_password(password))
    technician = Technician(user=user)
    db.session.add(technician)
    db.session.flush()
    db.session.add(TechnicianProfile(technician_id=technician.id, status="onboarding", phone_verified_at=_now()))
    return user


def _now():
    return datetime.now(UTC)


def profile_of(technician_id: int) -> TechnicianProfile:
    return db.session.get(TechnicianProfile, technician_id)


def technician_for_user(user_id: int) -> Technician:
    technician = db.session.scalar(select(Technician).where(Technician.user_id == user_id))
    if technician is None:
        raise _not_found("no technician record for this account")
    return technician


# --- identity and payout (PIPL) --------------------------------------------------------


def check_id_number(raw: str, on: date | None = None) -> tuple[str, date]:
    """GB 11643-1999 via python-stdnum (length, MOD 11-2 checksum, real date, region code),
    then a birth date not in the future and an age of at least 18. Returns (number, birth)."""
    on = on or today()
    try:
        number = ric.validate(raw)
    except InvalidChecksum:
        _invalid("id_number", "the check digit does not match (ISO 7064 MOD 11-2)")
    except InvalidComponent:
        _invalid("id_number", _component_problem(raw))
    except ValidationError:
        _invalid("id_number", "must be 18 characters: 17 digits and a check digit (0-9 or X)")
    birth = ric.get_birth_date(number)
    if birth > on:
        _invalid("id_number", "the birth date is in the future")
    if _age(birth, on) < ADULT_AGE:
        _invalid("id_number", f"the holder must be at least {ADULT_AGE} years old")
    return number, birth


def _component_problem(raw: str) -> str:
    try:
        ric.get_birth_date(raw)
    except (InvalidComponent, ValueError):
        return "the birth date is not a real date"
    return "the administrative region code is unknown"


def _age(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def set_identity(
    profile: TechnicianProfile,
    legal_name: str,
    raw_id: str,
    photo_sha256: str | None,
    validity: tuple[date, date | None] | None = None,
):
    """Store the legal name and the ID number (encrypted, hashed, masked), an optional photo and
    the card's validity (from, to; to None for a long-term card) when given."""
    if profile.status in LOCKED_WHILE:
        _conflict("id_number", f"identity cannot change while the profile is {profile.status}")
    number, birth = check_id_number(raw_id)
    if validity is not None:
        check_id_validity(*validity)
    digest = pii.lookup_hash(number, "id_number")
    taken = db.session.scalar(
        select(TechnicianProfile.technician_id).where(
            TechnicianProfile.id_number_hash == digest, TechnicianProfile.technician_id != profile.technician_id
        )
    )
    if taken:
        _conflict("id_number", "this ID number is registered to another account")
    if photo_sha256 is not None and not storage.exists(photo_sha256, sealed=True):
        _invalid("id_photo_sha256", "upload the photo first (POST /files, purpose id_photo) and send its sha256")
    profile.legal_name = legal_name
    profile.id_number_enc = pii.encrypt(number, "id_number")
    profile.id_number_hash = digest
    profile.id_number_masked = pii.mask_id_number(number)
    profile.birth_date = birth
    profile.id_photo_sha256 = photo_sha256
    profile.id_valid_from, profile.id_valid_to = validity or (None, None)


def check_id_validity(valid_from: date, valid_to: date | None, on: date | None = None):
    """An ID card in force: issued by now, ending after it starts, not expired (None: long-term)."""
    on = on or today()
    if valid_from > on:
        _invalid("id_valid_from", "the card's validity starts in the future")
    if valid_to is not None and valid_to <= valid_from:
        _invalid("id_valid_to", "the card's validity ends before it starts")
    if valid_to is not None and valid_to < on:
        _invalid("id_valid_to", f"the ID card expired on {valid_to.isoformat()}: renew it first")


def set_payout_account(profile: TechnicianProfile, kind: str, raw_account: str, bank_name: str | None):
    """A bank card (Luhn-checked; the bank named from its BIN unless given) or an Alipay account
    (mobile number or email)."""
    if profile.status == "submitted":
        _conflict("account", "the payout account cannot change while the profile is under review")
    account = _check_bank_card(raw_account) if kind == "bank_card" else _check_alipay(raw_account)
    profile.payout_kind = kind
    profile.payout_account_enc = pii.encrypt(account, "payout_account")
    profile.payout_account_hash = pii.lookup_hash(account, "payout_account")
    profile.payout_account_masked = pii.mask_card(account) if kind == "bank_card" else pii.mask_alipay(account)
    profile.bank_name = (bank_name or _bank_by_bin(account)) if kind == "bank_card" else None


def _bank_by_bin(card_number: str) -> str | None:
    # Nobody types the bank: the BIN table names it (None when the table does not know the card).
    match = banks.lookup(card_number)
    return match.bank.name if match else None


def _check_bank_card(raw: str) -> str:
    number, problem = banks.check_card_number(raw)
    if problem:
        _invalid("account", problem)
    return number


def _check_alipay(raw: str) -> str:
    account = (raw or "").strip()
    if "@" in account and re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", account):
        return account.lower()
    return normalize_phone(account, field="account")


# --- role ------------------------------------------------------------------------------


def role_by_code(code: str, field="role") -> Role:
    role = db.session.scalar(select(Role).where(Role.code == code))
    if role is None:
        _invalid(field, f"unknown role {code!r}; see the role catalogue")
    return role


def choose_initial_role(profile: TechnicianProfile, code: str):
    """Before approval the role is part of the profile under review; afterwards it changes by request."""
    if profile.status in LOCKED_WHILE:
        _conflict("role", "the role of a submitted or approved profile changes through a role-change request")
    profile.role_id = role_by_code(code).id


def request_role_change(profile: TechnicianProfile, code: str, reason: str | None, requested_by: int):
    """Open a request; nothing changes until a platform admin approves it."""
    role = role_by_code(code)
    if profile.status != "approved":
        _conflict("role", "choose the role on the profile itself until it is approved")
    if role.id == profile.role_id:
        _invalid("role", "that is already the technician's role")
    pending = select(RoleChangeRequest.id).where(
        RoleChangeRequest.technician_id == profile.technician_id, RoleChangeRequest.state == "pending"
    )
    if db.session.scalar(pending):
        _conflict("role", "a role-change request is already waiting for a decision")
    request = RoleChangeRequest(
        technician_id=profile.technician_id,
        from_role_id=profile.role_id,
        to_role_id=role.id,
        reason=reason,
        requested_by_id=requested_by,
        state="pending",
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "role_change.requested",
        actor_id=requested_by,
        technician_id=profile.technician_id,
        subject_type="role_change_request",
        subject_id=request.id,
        after={"state": "pending", "from_role_id": profile.role_id, "to_role_id": role.id},
        note=reason,
    )
    return request


def decide_role_change(request: RoleChangeRequest, approve: bool, note: str | None, actor_id: int):
    """Approve (the role changes now) or reject a pending request; audited either way."""
    if request.state != "pending":
        _conflict("decision", f"this request was already {request.state}")
    profile = profile_of(request.technician_id)
    before = {"state": request.state, "role_id": profile.role_id}
    request.state = "approved" if approve else "rejected"
    request.decided_by_id, request.decided_at, request.decision_note = actor_id, _now(), note
    if approve:
        profile.role_id = request.to_role_id
    audit.record(
        f"role_change.{request.state}",
        actor_id=actor_id,
        technician_id=request.technician_id,
        subject_type="role_change_request",
        subject_id=request.id,
        before=before,
        after={"state": request.state, "role_id": profile.role_id},
        note=note,
    )


# --- agreement -------------------------------------------------------------------------


def current_template(code: str = SERVICE_AGREEMENT) -> AgreementTemplate:
    newest = AgreementTemplate.version.desc()
    template = db.session.scalar(
        select(AgreementTemplate).where(AgreementTemplate.code == code).order_by(newest).limit(1)
    )
    if template is None:
        raise _not_found(f"no {code} agreement has been published")
    return template


def signature_of_current(technician_id: int) -> AgreementSignature | None:
    """The technician's signature of the newest service agreement, if any."""
    template = db.session.scalar(
        select(AgreementTemplate.id)
        .where(AgreementTemplate.code == SERVICE_AGREEMENT)
        .order_by(AgreementTemplate.version.desc())
        .limit(1)
    )
    return db.session.scalar(
        select(AgreementSignature).where(
            AgreementSignature.technician_id == technician_id, AgreementSignature.template_id == template
        )
    )


def publish_template(code: str, title: str, body: str) -> AgreementTemplate:
    """A new version of an agreement; technicians must sign it again before approval."""
    latest = db.session.scalar(select(func.max(AgreementTemplate.version)).where(AgreementTemplate.code == code))
    template = AgreementTemplate(
        code=code, version=(latest or 0) + 1, title=title, body=body, body_sha256=esign.text_sha256(body)
    )
    db.session.add(template)
    db.session.flush()
    return template


# --- submission and review -----------------------------------------------------------------


def missing_items(profile: TechnicianProfile) -> list[str]:
    """What still stands between this profile and review."""
    checks = {
        "phone_verification": profile.phone_verified_at is not None,
        "identity": profile.id_number_enc is not None,
        "payout_account": profile.payout_account_enc is not None,
        "role": profile.role_id is not None,
        "agreement": signature_of_current(profile.technician_id) is not None,
    }
    return [name for name, done in checks.items() if not done]


def submit_for_review(profile: TechnicianProfile):
    if profile.status not in ("onboarding", "rejected"):
        _conflict("status", f"the profile is already {profile.status}")
    missing = missing_items(profile)
    if missing:
        raise PlainProblem(
            "the profile is incomplete", errors=[field_error(m, "required before review") for m in missing]
        )
    profile.status, profile.submitted_at = "submitted", _now()


def review_profile(profile: TechnicianProfile, approve: bool, note: str | None, actor_id: int):
    """A platform admin approves (the technician may take work) or rejects a submitted profile."""
    if profile.status != "submitted":
        _conflict("decision", f"only a submitted profile can be reviewed; this one is {profile.status}")
    missing = missing_items(profile) if approve else []
    if missing:
        raise PlainProblem(
            "the profile is incomplete",
            status=409,
            errors=[field_error(m, "required before approval") for m in missing],
        )
    before = {"status": profile.status}
    profile.status = "approved" if approve else "rejected"
    profile.reviewed_at, profile.reviewed_by_id, profile.review_note = _now(), actor_id, note
    audit.record(
        f"profile.{profile.status}",
        actor_id=actor_id,
        technician_id=profile.technician_id,
        subject_type="technician_profile",
        subject_id=profile.technician_id,
        before=before,
        after={"status": profile.status},
        note=note,
    )


# --- skills ----------------------------------------------------------------------------------


def skill_by_code(code: str, field="skill") -> Skill:
    skill = db.session.scalar(select(Skill).where(Skill.code == code))
    if skill is None:
        _invalid(field, f"unknown skill {code!r}; see the skill catalogue")
    return skill


def add_skill(technician_id: int, body: dict) -> TechnicianSkill:
    """A skill claim, pending until a platform admin verifies it."""
    skill = skill_by_code(body["skill"])
    valid_from, valid_until = body.get("valid_from") or today(), body.get("valid_until")
    if skill.requires_certificate and not body.get("certificate_no"):
        _invalid("certificate_no", f"{skill.name} needs a certificate number")
    if valid_until is not None and valid_until < max(valid_from, today()):
        _invalid("valid_until", "must not be before valid_from or in the past")
    evidence = body.get("evidence_sha256")
    if evidence is not None and not storage.exists(evidence):
        _invalid("evidence_sha256", "upload the evidence first (POST /files) and send its sha256")
    record = TechnicianSkill(
        technician_id=technician_id,
        skill_id=skill.id,
        level=body["level"],
        certificate_no=body.get("certificate_no"),
        issuer=body.get("issuer"),
        valid_from=valid_from,
        valid_until=valid_until,
        evidence_sha256=evidence,
        state="pending",
    )
    db.session.add(record)
    db.session.flush()
    return record


def decide_skill(record: TechnicianSkill, verify: bool, note: str | None, actor_id: int):
    """Verify or reject a pending skill record; an already-expired one cannot be verified."""
    if record.state != "pending":
        _conflict("decision", f"this skill record is already {record.state}")
    if verify and record.valid_until is not None and record.valid_until < today():
        _conflict("decision", "the certificate has expired")
    before = {"state": record.state, "level": record.level}
    record.state = "verified" if verify else "rejected"
    record.verified_by_id, record.decided_at, record.decision_note = actor_id, _now(), note
    audit.record(
        f"skill.{record.state}",
        actor_id=actor_id,
        technician_id=record.technician_id,
        subject_type="technician_skill",
        subject_id=record.id,
        before=before,
        after={"state": record.state, "level": record.level},
        note=note,
    )


# --- catalogues ------------------------------------------------------------------------------


def create_role(body: dict, actor_id: int) -> Role:
    return _add_to_catalogue(
        Role, "role", actor_id, code=body["code"], name=body["name"], description=body.get("description")
    )


def create_skill(body: dict, actor_id: int) -> Skill:
    return _add_to_catalogue(
        Skill,
        "skill",
        actor_id,
        code=body["code"],
        name=body["name"],
        description=body.get("description"),
        requires_certificate=body.get("requires_certificate", False),
    )


def _add_to_catalogue(model, kind: str, actor_id: int, **values):
    """A new role or skill: its code unique, its creation audited."""
    if db.session.scalar(select(model.id).where(model.code == values["code"])):
        _conflict("code", f"a {kind} with this code exists")
    entry = model(**values)
    db.session.add(entry)
    db.session.flush()
    audit.record(
        f"{kind}.created",
        actor_id=actor_id,
        technician_id=None,
        subject_type=kind,
        subject_id=entry.id,
        after={"code": entry.code, "name": entry.name},
    )
    return entry
