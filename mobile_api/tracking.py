"""Location uploads buffered offline, location consent (PIPL) and shift status over REST."""

from backend.accounts.auth import requires
from backend.extensions import db
from backend.rate_limit import hit
from backend.tracking import ingest as tracking
from backend.tracking import state as tracking_state
from backend.tracking.schemas import ConsentIn, ConsentOut, LocationAckOut, LocationBatchIn, StatusIn, StatusOut
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
TAGS = ["mobile: tracking"]
UPLOADS_PER_MINUTE = (120, 60)


@mobile.post("/locations")
@requires("profile:self")
@mobile.input(LocationBatchIn, arg_name="body")
@mobile.output(LocationAckOut)
@mobile.doc(summary="Upload buffered fixes (idempotent by client point id)", tags=TAGS, security=SECURITY)
def upload_locations(body):
    """Upload fixes buffered offline; a fix already stored is acknowledged again, never stored twice."""
    me = my_technician().id
    hit(f"locations:{me}", *UPLOADS_PER_MINUTE, what="location uploads")
    return tracking.ingest(me, body["fixes"]).as_dict()  # off shift / no consent: a 403 (state.Refused)


def _consent_out(technician_id: int) -> dict:
    consent = tracking_state.open_consent(technician_id)
    if consent is None:
        return {"granted": False, "notice_version": None, "granted_at": None, "withdrawn_at": None}
    return {"granted": True, "notice_version": consent.notice_version, "granted_at": consent.granted_at}


@mobile.get("/me/location-consent")
@requires("profile:self")
@mobile.output(ConsentOut)
@mobile.doc(summary="My consent to location tracking", tags=TAGS, security=SECURITY)
def get_location_consent():
    """Whether I have consented to location tracking, and since when."""
    return _consent_out(my_technician().id)


@mobile.put("/me/location-consent")
@requires("profile:self")
@mobile.input(ConsentIn, arg_name="body")
@mobile.output(ConsentOut)
@mobile.doc(summary="Consent to location tracking while on shift", tags=TAGS, security=SECURITY)
def grant_location_consent(body):
    """Give separate consent to location tracking on shift (idempotent)."""
    me = my_technician().id
    tracking_state.grant_consent(me, body["device"])
    db.session.commit()
    return _consent_out(me)


@mobile.delete("/me/location-consent")
@requires("profile:self")
@mobile.output(ConsentOut)
@mobile.doc(summary="Withdraw consent to location tracking", tags=TAGS, security=SECURITY)
def withdraw_location_consent():
    """Withdraw consent: positions are refused from now on and my live position is removed."""
    me = my_technician().id
    consent = tracking_state.withdraw_consent(me)
    db.session.commit()
    withdrawn_at = consent.withdrawn_at if consent else None
    return {"granted": False, "notice_version": consent and consent.notice_version, "withdrawn_at": withdrawn_at}


@mobile.put("/me/status")
@requires("profile:self")
@mobile.input(StatusIn, arg_name="body")
@mobile.output(StatusOut)
@mobile.doc(summary="Change my shift status", tags=TAGS, security=SECURITY)
def set_status(body):
    """Go on or off shift, or say idle, en route or on site (the socket's `status` event does the same)."""
    me = my_technician().id
    event = tracking_state.change_status(me, body["status"])
    db.session.commit()
    tracking_state.announce_status(me, event)
    return {"status": event.value, "at": event.at}
