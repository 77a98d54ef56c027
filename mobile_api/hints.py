"""What the platform knows for an order I hold: the work hint and the site's history."""

from flask import Response

from backend.accounts.auth import requires
from backend.errors import NotFound
from backend.extensions import db
from backend.hints import service
from backend.hints.schemas import OrderHintsOut
from backend.models import Order
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
TAGS = ["mobile: orders"]


def _held(order_id) -> Order:
    """The order if I hold it; 404 for everyone else, as if it did not exist."""
    order = db.session.get(Order, order_id)
    if order is None or order.technician_id != my_technician().id:
        raise NotFound("order")
    return order


@mobile.get("/orders/<int:order_id>/hints")
@requires("orders:work")
@mobile.output(OrderHintsOut)
@mobile.doc(summary="Work hint and site history of my order", tags=TAGS, security=SECURITY)
def order_hints(order_id):
    """Procedure, tools, spare parts, safety notes (hint null when none is kept) and the last
    finished orders at the same site: notes, readings, evidence thumbnails, who (first name)."""
    order = _held(order_id)
    return {"hint": service.current_hint(order.org_id, order.work_type), "site_history": service.site_history(order)}


@mobile.get("/orders/<int:order_id>/site-history/<int:past_order_id>/thumbnails/<sha256>")
@requires("orders:work")
@mobile.doc(
    summary="Thumbnail of an earlier visit's evidence photo",
    tags=TAGS,
    security=SECURITY,
    responses={200: {"description": "a JPEG", "content": {"image/jpeg": {}}}},
)
def site_history_thumbnail(order_id, past_order_id, sha256):
    """A small JPEG of a photo left at this site by an earlier order."""
    data = service.thumbnail(_held(order_id), past_order_id, sha256)
    return Response(data, mimetype="image/jpeg", headers={"Cache-Control": "private, max-age=86400"})
