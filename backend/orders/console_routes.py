"""Dispatchers' orders: every client's orders together per region (a dispatcher's own regions), candidates with reasons,
manual and automatic assignment, rate cards, and the webhook delivery log with replay."""

from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.blueprints import console
from backend.errors import NotFound
from backend.extensions import db
from backend.models import Order, Organization, WebhookDelivery
from backend.orders import assign
from backend.orders.notify import after_commit
from backend.orders.points import create_card
from backend.orders.schemas import (
    AssignIn,
    CandidatesOut,
    DeliveryQuery,
    OrderOut,
    OrderPage,
    OrderQuery,
    RateCardIn,
    RateCardOut,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
)
from backend.orders.search import OrderFilter, search_orders, visible_orders
from backend.pagination import paginate
from backend.webhooks.jobs import deliver, replay

SECURITY = [{"BearerAuth": []}]
TAGS = ["console: orders"]


def _actor():
    return ("user", current_actor().id)


def _order(order_id) -> Order:
    """An order of the caller's regions (every order for platform admins), else 404."""
    order = db.session.scalar(visible_orders(current_actor()).where(Order.id == order_id))
    if order is None:
        raise NotFound("order")
    return order


@console.get("/orders")
@requires("orders:read", "orders:dispatch")
@console.input(OrderQuery, location="query", arg_name="query")
@console.output(OrderPage)
@console.doc(summary="Orders of every client, by region", tags=TAGS, security=SECURITY)
def list_orders(query):
    """All clients' orders, filtered as the client API filters (a region includes everything inside it)."""
    stmt = search_orders(current_actor(), OrderFilter.from_query(query))
    items, cursor = paginate(stmt, Order.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@console.get("/orders/<int:order_id>/candidates")
@requires("orders:read", "orders:dispatch")
@console.output(CandidatesOut)
@console.doc(summary="Who could take this order, and why the others cannot", tags=TAGS, security=SECURITY)
def candidates(order_id):
    """Eligible online technicians with room, ranked by distance, load and rating; the rest with reasons."""
    return assign.candidates(_order(order_id))


@console.post("/orders/<int:order_id>/assign")
@requires("orders:dispatch")
@console.input(AssignIn, arg_name="body")
@console.output(OrderOut)
@console.doc(summary="Assign an order to a technician", tags=TAGS, security=SECURITY)
def assign_order(order_id, body):
    """Assign to a named technician (eligible, under their limit); they accept or decline."""
    _order(order_id)
    assign.assign_order(order_id, body["technician_id"], _actor())
    db.session.commit()
    return _order(order_id)


@console.post("/orders/<int:order_id>/auto-assign")
@requires("orders:dispatch")
@console.output(OrderOut)
@console.doc(summary="Assign the best candidate", tags=TAGS, security=SECURITY)
def auto_assign(order_id):
    """Assign the best candidate not yet asked (or leave the order published if none)."""
    assign.auto_assign(_order(order_id), _actor())
    db.session.commit()
    return _order(order_id)


@console.post("/rate-cards")
@requires("ratecards:manage")
@console.input(RateCardIn, arg_name="body")
@console.output(RateCardOut, status_code=201)
@console.doc(summary="Publish a new rate card version for a client", tags=TAGS, security=SECURITY)
def create_rate_card(body):
    """A new version of a client's points terms (older versions stay, orders keep theirs)."""
    if db.session.get(Organization, body["org_id"]) is None:
        raise NotFound("organization")
    card = create_card(body["org_id"], body["terms"])
    db.session.commit()
    return card


@console.get("/webhook-deliveries")
@requires("orders:dispatch")
@console.input(DeliveryQuery, location="query", arg_name="query")
@console.output(WebhookDeliveryPage)
@console.doc(summary="Webhook deliveries of every client", tags=TAGS, security=SECURITY)
def list_deliveries(query):
    """The outbox: pending, delivered and dead-lettered deliveries."""
    stmt = select(WebhookDelivery)
    for key in ("state", "org_id"):
        if key in query:
            stmt = stmt.where(getattr(WebhookDelivery, key) == query[key])
    items, cursor = paginate(stmt, WebhookDelivery.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@console.post("/webhook-deliveries/<int:delivery_id>/replay")
@requires("orders:dispatch")
@console.output(WebhookDeliveryOut, status_code=202)
@console.doc(summary="Send a delivery again", tags=TAGS, security=SECURITY)
def replay_delivery(delivery_id):
    """Queue one more attempt of a delivery (same webhook-id)."""
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None:
        raise NotFound("webhook delivery")
    replay(row)
    after_commit(deliver.enqueue, row.id)
    db.session.commit()
    return row
