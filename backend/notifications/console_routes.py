"""Console: a technician's notifications with each device's delivery result."""

from backend.accounts.auth import requires
from backend.blueprints import console
from backend.errors import NotFound
from backend.extensions import db
from backend.models import Technician
from backend.notifications import service
from backend.notifications.schemas import NotificationPage, NotificationQuery

SECURITY = [{"BearerAuth": []}]
TAGS = ["console: technicians"]


@console.get("/technicians/<int:technician_id>/notifications")
@requires("technicians:read")
@console.input(NotificationQuery, location="query", arg_name="query")
@console.output(NotificationPage)
@console.doc(summary="A technician's notifications and their delivery", tags=TAGS, security=SECURITY)
def technician_notifications(technician_id, query):
    """Newest first: kind, the ids carried, state, every device's answer, the SMS fallback."""
    # Technicians are platform-wide; staff (the only callers here) may see every one.
    if db.session.get(Technician, technician_id) is None:
        raise NotFound("technician")
    items, cursor = service.history(technician_id, query["limit"], query["cursor"])
    return {"items": items, "next_cursor": cursor}
