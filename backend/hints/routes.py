"""Client API: a client keeps the work hints of its own organization (each edit a version)."""

from marshmallow import ValidationError

from backend.accounts.auth import current_actor, requires
from backend.blueprints import SECURITY, api
from backend.errors import Forbidden, ValidationFailed, field_error
from backend.extensions import db
from backend.hints import service
from backend.hints.schemas import WORK_TYPE, HintAnswer, HintIn, HintOut, HintVersions

TAGS = ["work hints"]


def _client_org() -> int:
    actor = current_actor()
    if actor.org_id is None:
        raise Forbidden("work hints here belong to a client organization; staff use the console")
    return actor.org_id


def _work_type(work_type: str) -> str:
    try:
        WORK_TYPE(work_type)
    except ValidationError as exc:
        raise ValidationFailed(
            "the work type is not a code", errors=[field_error("work_type", str(exc.messages[0]), "path")]
        ) from exc
    return work_type


@api.get("/work-hints/<work_type>")
@requires("orders:read")
@api.output(HintAnswer)
@api.doc(summary="The hint technicians get for a work type", tags=TAGS, security=SECURITY)
def get_hint(work_type):
    """The hint your orders of this work type carry: yours, a parent organization's or the platform's."""
    return {"hint": service.current_hint(_client_org(), _work_type(work_type))}


@api.put("/work-hints/<work_type>")
@requires("orders:write")
@api.input(HintIn, arg_name="body")
@api.output(HintOut)
@api.doc(summary="Save a new version of your hint for a work type", tags=TAGS, security=SECURITY)
def put_hint(work_type, body):
    """Procedure steps, tools, spare parts and safety notes; earlier versions are kept."""
    hint = service.save_hint(_client_org(), _work_type(work_type), body, current_actor().user_id)
    db.session.commit()
    return hint


@api.get("/work-hints/<work_type>/versions")
@requires("orders:read")
@api.output(HintVersions)
@api.doc(summary="Every version of your hint for a work type", tags=TAGS, security=SECURITY)
def hint_versions(work_type):
    """Newest first."""
    return {"items": service.versions(_client_org(), _work_type(work_type))}
