"""Technicians' work: the feed of orders for me, offers, claim (grab), accept or decline an
assignment (auto), travel, geofenced check-in and check-out, evidence and delivery.

An order a technician may not see answers 404 in every route here, exactly like one that
does not exist: only open orders they are eligible for, and their own orders, are visible.
"""

from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.errors import Conflict, IllegalTransition, NotFound
from backend.extensions import db
from backend.models import Order, OrderOffer
from backend.orders import assign
from backend.orders import lifecycle as life
from backend.orders.matching import feed, is_eligible, remember_position, technician_can_see
from backend.orders.schemas import (
    DeliveryIn,
    FeedQuery,
    FixIn,
    OfferList,
    OptionalReasonIn,
    OrderOut,
    OrderPage,
    With,
)
from backend.orders.transitions import ACTIVE, OPEN, allowed_from
from backend.pagination import paginate
from backend.places.service import point_from_request
from backend.rate_limit import hit
from backend.shared_schemas import PageQuery
from backend.workforce.schemas import FileOut, FileUploadIn
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
TAGS = ["mobile: orders"]
CLAIMS_PER_MINUTE = (30, 60)


def _order(order_id) -> tuple[Order, int]:
    """The order if this technician may see it, else 404."""
    technician_id = my_technician().id
    order = db.session.get(Order, order_id)
    if not technician_can_see(order, technician_id):
        raise NotFound("order")
    return order, technician_id


def _mine(order_id) -> tuple[Order, int]:
    """An order assigned to this technician (or 404)."""
    order, technician_id = _order(order_id)
    if order.technician_id != technician_id:
        raise NotFound("order")
    return order, technician_id


def _done(order_id):
    db.session.commit()
    return db.session.get(Order, order_id)


@mobile.get("/orders")
@requires("orders:work")
@mobile.input(FeedQuery, location="query", arg_name="query")
@mobile.output(OrderPage)
@mobile.doc(summary="Orders recommended for me", tags=TAGS, security=SECURITY)
def my_feed(query):
    """Open orders I may take, nearest and most urgent first (pass lon/lat for distances)."""
    technician_id = my_technician().id
    here = None
    if "lon" in query and "lat" in query:
        here = point_from_request([query["lon"], query["lat"]], query["coord_sys"], field="lon", location_kind="query")
        remember_position(technician_id, here)
    rows = feed(technician_id, here, query["limit"])
    db.session.commit()
    return {"items": [With(order, distance_m=metres) for order, metres in rows], "next_cursor": None}


@mobile.get("/me/orders")
@requires("orders:work")
@mobile.output(OrderPage)
@mobile.doc(summary="My orders in hand", tags=TAGS, security=SECURITY)
def my_orders():
    """Orders assigned to me that are not finished (assigned … on site, rejected, delivered)."""
    stmt = select(Order).where(Order.technician_id == my_technician().id, Order.status.in_((*ACTIVE, "delivered")))
    return {"items": list(db.session.scalars(stmt.order_by(Order.id))), "next_cursor": None}


@mobile.get("/me/points")
@requires("orders:work")
@mobile.input(PageQuery, location="query", arg_name="query")
@mobile.output(OrderPage)
@mobile.doc(summary="My verified orders with their points", tags=TAGS, security=SECURITY)
def my_points(query):
    """Verified orders with the points earned and how they were computed (rate card version, factors)."""
    stmt = select(Order).where(Order.technician_id == my_technician().id, Order.status == "verified")
    items, cursor = paginate(stmt, Order.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@mobile.get("/orders/<int:order_id>")
@requires("orders:work")
@mobile.output(OrderOut)
@mobile.doc(summary="One order", tags=TAGS, security=SECURITY)
def get_order(order_id):
    """An order I may take or that is mine, with points once verified."""
    return _order(order_id)[0]


@mobile.get("/offers")
@requires("orders:work")
@mobile.output(OfferList)
@mobile.doc(summary="My open offers and assignments", tags=TAGS, security=SECURITY)
def my_offers():
    """Every live offer sent to me over the socket, fetchable again (by offer id)."""
    technician_id = my_technician().id
    offers = db.session.scalars(
        select(OrderOffer)
        .where(OrderOffer.technician_id == technician_id, OrderOffer.state == "open")
        .order_by(OrderOffer.id)
    )
    items = []
    for offer in offers:
        order = db.session.get(Order, offer.order_id)
        if technician_can_see(order, technician_id):
            items.append(With(offer, order=order))
    return {"items": items}


@mobile.post("/orders/<int:order_id>/claim")
@requires("orders:work")
@mobile.output(OrderOut)
@mobile.doc(summary="Claim an open order (grab)", tags=TAGS, security=SECURITY)
def claim(order_id):
    """Take an open order; exactly one claim wins, the others get 409."""
    hit(f"claim:{current_actor().user_id}", *CLAIMS_PER_MINUTE, what="claims")
    technician_id = my_technician().id
    order = db.session.get(Order, order_id)
    if order is not None and order.status not in (*OPEN, "created") and is_eligible(order, technician_id):
        # Lost the race: someone who could see this order took it first.
        raise Conflict("the order was taken by someone else", status_now="taken", allowed=[])
    if order is None or order.status not in OPEN or not technician_can_see(order, technician_id):
        raise NotFound("order")
    assign.claim(order, technician_id)
    return _done(order_id)


@mobile.post("/orders/<int:order_id>/accept")
@requires("orders:work")
@mobile.output(OrderOut)
@mobile.doc(summary="Accept an assignment (auto)", tags=TAGS, security=SECURITY)
def accept(order_id):
    """Accept an order assigned to me."""
    order, technician_id = _mine(order_id)
    assign.accept_assignment(order, technician_id)
    return _done(order_id)


@mobile.post("/orders/<int:order_id>/decline")
@requires("orders:work")
@mobile.input(OptionalReasonIn, arg_name="body")
@mobile.output(OrderOut)
@mobile.doc(summary="Decline an assignment (auto)", tags=TAGS, security=SECURITY)
def decline(order_id, body):
    """Decline an order assigned to me; it goes to the next candidate."""
    order, technician_id = _mine(order_id)
    if order.status != "assigned":
        raise IllegalTransition(
            "only an assignment not yet accepted can be declined",
            status_now=order.status,
            allowed=allowed_from(order.kind, order.status),
        )
    assign.decline_assignment(order, technician_id, body["reason"])
    db.session.commit()
    return db.session.get(Order, order_id)


@mobile.post("/orders/<int:order_id>/en-route")
@requires("orders:work")
@mobile.output(OrderOut)
@mobile.doc(summary="I am on my way", tags=TAGS, security=SECURITY)
def en_route(order_id):
    """Set off to the site."""
    order, technician_id = _mine(order_id)
    life.en_route(order, technician_id)
    return _done(order_id)


def _fix(body):
    return point_from_request(body["location"], body["coord_sys"]), body["accuracy_m"], body["is_mock"]


@mobile.post("/orders/<int:order_id>/check-in")
@requires("orders:work")
@mobile.input(FixIn, arg_name="body")
@mobile.output(OrderOut)
@mobile.doc(summary="Check in at the site", tags=TAGS, security=SECURITY)
def check_in(order_id, body):
    """Check in: only inside the site's geofence, with a precise, honest fix."""
    order, technician_id = _mine(order_id)
    life.check_in(order, technician_id, *_fix(body))
    return _done(order_id)


@mobile.post("/orders/<int:order_id>/check-out")
@requires("orders:work")
@mobile.input(FixIn, arg_name="body")
@mobile.output(OrderOut)
@mobile.doc(summary="Check out of the site (checkin orders)", tags=TAGS, security=SECURITY)
def check_out(order_id, body):
    """Check out inside the geofence; the time on site is recorded and the order delivered."""
    order, technician_id = _mine(order_id)
    life.check_out(order, technician_id, *_fix(body))
    return _done(order_id)


@mobile.post("/orders/<int:order_id>/evidence")
@requires("orders:work")
@mobile.input(FileUploadIn, location="files", arg_name="files")
@mobile.output(FileOut, status_code=201)
@mobile.doc(summary="Upload one evidence file", tags=TAGS, security=SECURITY)
def upload_evidence(order_id, files):
    """Store a photo or document for this order; deliver it by its SHA-256."""
    order, technician_id = _mine(order_id)
    stored = life.add_evidence(order, technician_id, files["file"].read())
    db.session.commit()
    return stored


@mobile.post("/orders/<int:order_id>/deliver")
@requires("orders:work")
@mobile.input(DeliveryIn, arg_name="body")
@mobile.output(OrderOut)
@mobile.doc(summary="Deliver the work", tags=TAGS, security=SECURITY)
def deliver(order_id, body):
    """Deliver with evidence, notes and readings (project orders: files only)."""
    order, technician_id = _mine(order_id)
    life.deliver(order, technician_id, body)
    return _done(order_id)
