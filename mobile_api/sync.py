"""Offline-first sync: `GET /sync?since=` (what changed for me) and `POST /sync/writes`
(check-ins, check-outs, deliveries and readings made offline, applied once each)."""

from backend.accounts.auth import requires
from backend.extensions import db
from backend.models.base import utcnow
from backend.sync import changes, offline
from backend.sync.schemas import OfflineBatchIn, OfflineBatchOut, SyncOut, SyncQuery
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
TAGS = ["mobile: sync"]


@mobile.get("/sync")
@requires("orders:work")
@mobile.input(SyncQuery, location="query", arg_name="query")
@mobile.output(SyncOut)
@mobile.doc(summary="What changed for me since a cursor", tags=TAGS, security=SECURITY)
def sync(query):
    """My orders, offers and hints changed since `since` (everything in hand without it), and the next cursor."""
    since = changes.decode_cursor(query["since"]) if query["since"] else None
    return changes.changes(my_technician().id, since, utcnow())


@mobile.post("/sync/writes")
@requires("orders:work")
@mobile.input(OfflineBatchIn, arg_name="body")
@mobile.output(OfflineBatchOut)
@mobile.doc(summary="Upload work done offline", tags=TAGS, security=SECURITY)
def upload_writes(body):
    """Each write is accepted or refused on its own, by the rules at its recorded time and fix;
    a write uploaded again (same client_id) answers as the first time and changes nothing."""
    results = offline.apply_writes(my_technician().id, body["writes"], utcnow())
    db.session.commit()
    return {"results": results}
