"""Console: staff keep the platform's work hints (and may edit a client's)."""

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.errors import NotFound
from backend.extensions import db
from backend.hints import service
from backend.hints.routes import _work_type
from backend.hints.schemas import ConsoleHintQuery, HintIn, HintOut, HintVersions
from backend.models import Organization

SECURITY = [{"BearerAuth": []}]
TAGS = ["console: work hints"]


def _owner(query) -> int | None:
    org_id = query["org_id"]
    if org_id is not None and db.session.get(Organization, org_id) is None:
        raise NotFound("organization")
    return org_id


@console.put("/work-hints/<work_type>")
@requires("orders:dispatch")
@console.input(ConsoleHintQuery, location="query", arg_name="query")
@console.input(HintIn, arg_name="body")
@console.output(HintOut)
@console.doc(summary="Save a new version of a work hint", tags=TAGS, security=SECURITY)
def put_hint(work_type, query, body):
    """The platform's hint for a work type (or, with ?org_id=, a client's); versions are kept."""
    hint = service.save_hint(_owner(query), _work_type(work_type), body, current_actor().user_id)
    db.session.commit()
    return hint


@console.get("/work-hints/<work_type>/versions")
@requires("orders:dispatch")
@console.input(ConsoleHintQuery, location="query", arg_name="query")
@console.output(HintVersions)
@console.doc(summary="Every version of a work hint", tags=TAGS, security=SECURITY)
def hint_versions(work_type, query):
    """Newest first."""
    return {"items": service.versions(_owner(query), _work_type(work_type))}
