"""Technician onboarding: phone registration and sign-in, identity, payout account, role,
agreement signing, skills, region requests, certifications, uploads, own skill profile."""

from flask import request
from sqlalchemy import select

from backend import esign, storage
from backend.accounts.auth import current_actor, public, requires
from backend.accounts.auth_routes import LOGIN_ATTEMPTS, issue_tokens
from backend.accounts.passwords import verify_password
from backend.accounts.schemas import TokensOut
from backend.errors import fail, field_error
from backend.extensions import db
from backend.models import AgreementSignature, Role, Skill, User
from backend.rate_limit import hit
from backend.sms import check_code, send_code
from backend.workforce import records, views
from backend.workforce import service as wf
from backend.workforce.profile import skill_profile
from backend.workforce.schemas import (
    AgreementOut,
    CatalogueOut,
    CertificationOut,
    FileOut,
    FileUploadIn,
    IdentityIn,
    PayoutIn,
    PhoneLoginIn,
    PublicKeyOut,
    RegionRequestIn,
    RegisterIn,
    RoleChangeIn,
    RoleChangeOut,
    RoleChoiceIn,
    SelfCertificationIn,
    SignatureOut,
    SignIn,
    SkillIn,
    SkillProfileOut,
    SkillRecordOut,
    SmsCodeIn,
    SmsCodeOut,
    TechnicianDetail,
    VerifyIn,
    VerifyOut,
)
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
SMS_PER_PHONE = (1, 60)  # one code a minute per phone
SMS_PER_ADDRESS = (10, 3600)  # ten codes an hour per client address
REGISTER_ATTEMPTS = (10, 300)
UPLOADS_PER_HOUR = (60, 3600)


def _my_profile():
    return wf.profile_of(my_technician().id)


def _detail():
    return views.technician_detail(my_technician())


# --- account --------------------------------------------------------------------------------


@mobile.post("/auth/sms-code")
@public
@mobile.input(SmsCodeIn, arg_name="body")
@mobile.output(SmsCodeOut, status_code=202)
@mobile.doc(summary="Send a phone verification code", tags=["mobile: account"])
def request_sms_code(body):
    """Send a six-digit verification code to a phone (rate-limited)."""
    phone = wf.normalize_phone(body["phone"])
    hit(f"sms:addr:{request.remote_addr}", *SMS_PER_ADDRESS, what="verification codes")
    hit(f"sms:phone:{phone}", *SMS_PER_PHONE, what="verification codes for this phone")
    return {"sent": True, "expires_in": send_code(phone, body["purpose"])}


@mobile.post("/auth/register")
@public
@mobile.input(RegisterIn, arg_name="body")
@mobile.output(TokensOut, status_code=201)
@mobile.doc(summary="Register as a technician with a verified phone", tags=["mobile: account"])
def register(body):
    """Create a technician account with the phone's verification code; returns tokens."""
    phone = wf.normalize_phone(body["phone"])
    hit(f"register:{phone}:{request.remote_addr}", *REGISTER_ATTEMPTS, what="registration attempts")
    if not check_code(phone, "register", body["code"]):
        fail(422, "wrong or expired verification code", errors=[field_error("code", "wrong or expired")])
    user = wf.register_technician(phone, body["password"], body["name"])
    db.session.commit()
    return issue_tokens(user)


@mobile.post("/auth/login")
@public
@mobile.input(PhoneLoginIn, arg_name="body")
@mobile.output(TokensOut)
@mobile.doc(summary="Sign in with phone and password", tags=["mobile: account"])
def login(body):
    """Sign in with phone and password."""
    phone = wf.normalize_phone(body["phone"])
    hit(f"mlogin:{phone}:{request.remote_addr}", *LOGIN_ATTEMPTS, what="sign-in attempts")
    user = db.session.scalar(select(User).where(User.phone == phone, User.role == "technician"))
    if not verify_password(user.password_hash if user else None, body["password"]) or not user.is_active:
        fail(401, "wrong phone or password", kind="unauthorized")
    return issue_tokens(user)


# --- profile ------------------------------------------------------------------------------------


@mobile.get("/me")
@requires("profile:self")
@mobile.output(TechnicianDetail)
@mobile.doc(summary="My technician record and what is missing", tags=["mobile: onboarding"], security=SECURITY)
def me():
    """My record (sensitive numbers masked) and the steps still missing."""
    return _detail()


@mobile.put("/me/identity")
@requires("profile:self")
@mobile.input(IdentityIn, arg_name="body")
@mobile.output(TechnicianDetail)
@mobile.doc(summary="Set my legal name and resident ID number", tags=["mobile: onboarding"], security=SECURITY)
def set_identity(body):
    """Set my legal name and resident ID number (checked, stored encrypted, shown masked) and,
    optionally, the card's validity as read by POST /me/identity/ocr."""
    validity = (body["id_valid_from"], body["id_valid_to"]) if body["id_valid_from"] else None
    wf.set_identity(_my_profile(), body["legal_name"], body["id_number"], body["id_photo_sha256"], validity)
    db.session.commit()
    return _detail()


@mobile.put("/me/payout-account")
@requires("profile:self")
@mobile.input(PayoutIn, arg_name="body")
@mobile.output(TechnicianDetail)
@mobile.doc(summary="Set my payout account (bank card or Alipay)", tags=["mobile: onboarding"], security=SECURITY)
def set_payout_account(body):
    """Set my payout account: a bank card (Luhn-checked) or an Alipay account."""
    wf.set_payout_account(_my_profile(), body["kind"], body["account"], body["bank_name"])
    db.session.commit()
    return _detail()


@mobile.put("/me/role")
@requires("profile:self")
@mobile.input(RoleChoiceIn, arg_name="body")
@mobile.output(TechnicianDetail)
@mobile.doc(summary="Choose my role before approval", tags=["mobile: onboarding"], security=SECURITY)
def choose_role(body):
    """Choose my role while the profile is being completed (later: a role-change request)."""
    wf.choose_initial_role(_my_profile(), body["role"])
    db.session.commit()
    return _detail()


@mobile.post("/me/role-change-requests")
@requires("profile:self")
@mobile.input(RoleChangeIn, arg_name="body")
@mobile.output(RoleChangeOut, status_code=201)
@mobile.doc(summary="Ask for a different role", tags=["mobile: onboarding"], security=SECURITY)
def request_role_change(body):
    """Ask for a different role; it changes only when a platform admin approves."""
    change = wf.request_role_change(_my_profile(), body["role"], body["reason"], current_actor().user_id)
    db.session.commit()
    return change


@mobile.post("/me/submit")
@requires("profile:self")
@mobile.output(TechnicianDetail)
@mobile.doc(summary="Submit my profile for review", tags=["mobile: onboarding"], security=SECURITY)
def submit():
    """Submit the completed profile for a platform admin's review."""
    wf.submit_for_review(_my_profile())
    db.session.commit()
    return _detail()


@mobile.post("/me/region-requests")
@requires("profile:self")
@mobile.input(RegionRequestIn, arg_name="body")
@mobile.output(TechnicianDetail, status_code=201)
@mobile.doc(summary="Ask to serve a platform region", tags=["mobile: onboarding"], security=SECURITY)
def request_region(body):
    """Ask to serve a platform region; a dispatcher grants it."""
    records.request_region(my_technician().id, body["region_id"])
    db.session.commit()
    return _detail()


# --- skills and certifications ----------------------------------------------------------------------


@mobile.post("/me/skills")
@requires("profile:self")
@mobile.input(SkillIn, arg_name="body")
@mobile.output(SkillRecordOut, status_code=201)
@mobile.doc(summary="Claim a skill (pending verification)", tags=["mobile: skills"], security=SECURITY)
def add_skill(body):
    """Claim a skill at a level with its certificate; it counts once verified."""
    record = wf.add_skill(my_technician().id, body)
    db.session.commit()
    return record


@mobile.post("/me/certifications")
@requires("profile:self")
@mobile.input(SelfCertificationIn, arg_name="body")
@mobile.output(CertificationOut, status_code=201)
@mobile.doc(summary="Declare equipment or a health/insurance certificate", tags=["mobile: skills"], security=SECURITY)
def add_certification(body):
    """Declare equipment held, or a health or insurance certificate with its expiry."""
    cert = records.add_certification(my_technician().id, body, current_actor().user_id, verified=False)
    db.session.commit()
    return cert


@mobile.get("/me/skill-profile")
@requires("profile:self")
@mobile.output(SkillProfileOut)
@mobile.doc(summary="My radar-chart skill profile", tags=["mobile: skills"], security=SECURITY)
def my_skill_profile():
    """My radar-chart dimensions, 0-100 each, with how each is derived."""
    return skill_profile(my_technician().id)


@mobile.get("/catalogue")
@requires("profile:self")
@mobile.output(CatalogueOut)
@mobile.doc(summary="Roles and skills to choose from", tags=["mobile: skills"], security=SECURITY)
def catalogue():
    """Roles and skills to choose from."""
    return {
        "roles": db.session.scalars(select(Role).order_by(Role.id)),
        "skills": db.session.scalars(select(Skill).order_by(Skill.id)),
    }


@mobile.post("/files")
@requires("profile:self")
@mobile.input(FileUploadIn, location="form_and_files", arg_name="form")
@mobile.output(FileOut, status_code=201)
@mobile.doc(summary="Upload a photo or PDF; returns its SHA-256", tags=["mobile: onboarding"], security=SECURITY)
def upload_file(form):
    """Upload an ID photo or evidence file; refer to it later by its SHA-256."""
    hit(f"upload:{current_actor().id}", *UPLOADS_PER_HOUR, what="uploads")
    try:
        stored = storage.save(form["file"].read(), sealed=form["purpose"] == "id_photo")
    except storage.StorageError as exc:
        fail(422, f"file refused: {exc}", errors=[field_error("file", str(exc), "files")])
    return stored


# --- agreement -------------------------------------------------------------------------------------


@mobile.get("/agreements/current")
@requires("profile:self")
@mobile.output(AgreementOut)
@mobile.doc(summary="The service agreement to sign", tags=["mobile: agreement"], security=SECURITY)
def current_agreement():
    """The newest service agreement: text, version and the text's SHA-256."""
    return wf.current_template()


@mobile.post("/me/agreements")
@requires("profile:self")
@mobile.input(SignIn, arg_name="body")
@mobile.output(SignatureOut, status_code=201)
@mobile.doc(summary="Sign the service agreement", tags=["mobile: agreement"], security=SECURITY)
def sign_agreement(body):
    """Sign the newest service agreement; the platform seals the record with Ed25519."""
    signature = records.sign_current_agreement(
        _my_profile(), body["version"], body["text_sha256"], request.remote_addr, body["device"]
    )
    db.session.commit()
    return views.signature_out(signature)


@mobile.get("/agreements/public-key")
@public
@mobile.output(PublicKeyOut)
@mobile.doc(summary="The platform's public signing key", tags=["mobile: agreement"])
def public_key():
    """The platform's Ed25519 public key that seals signed agreements."""
    return esign.platform_signer().public_key_document()


@mobile.post("/agreements/verify")
@public
@mobile.input(VerifyIn, arg_name="body")
@mobile.output(VerifyOut)
@mobile.doc(summary="Check a signed agreement record", tags=["mobile: agreement"])
def verify_agreement(body):
    """Check that a signing record carries a valid platform signature."""
    hit(f"verify:{request.remote_addr}", 120, 60, what="verifications")
    signer = esign.platform_signer()
    valid = esign.verify(body["record"], body["signature"], signer.public_bytes())
    stored = db.session.scalar(select(AgreementSignature.id).where(AgreementSignature.signature == body["signature"]))
    return {"valid": valid, "key_id": signer.key_id, "matches_stored": valid and stored is not None}
