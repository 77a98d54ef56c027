"""Clients' webhook endpoints: register (the secret is shown once), list, remove; deliveries."""

from flask import current_app
from sqlalchemy import select

from backend import pii
from backend.accounts.auth import current_actor, requires
from backend.accounts.tenancy import get_visible_or_404, require_org_in_reach, scope_to_tenant
from backend.blueprints import SECURITY, api
from backend.errors import NotFound, fail, field_error
from backend.extensions import db
from backend.models import WebhookDelivery, WebhookEndpoint
from backend.models.base import utcnow
from backend.models.orders import ORDER_STATES
from backend.orders.notify import after_commit
from backend.orders.schemas import (
    DeliveryQuery,
    WebhookDeliveryOut,
    WebhookDeliveryPage,
    WebhookEndpointIn,
    WebhookEndpointList,
    WebhookEndpointOut,
    With,
)
from backend.pagination import paginate
from backend.webhooks.jobs import SECRET_CONTEXT, deliver, replay
from backend.webhooks.signing import UnsafeURL, check_url, new_secret

TAGS = ["webhooks"]
EVENTS = ("*", *(f"order.{s}" for s in ORDER_STATES), "order.sla_breached", "order.points_updated")


@api.post("/webhook-endpoints")
@requires("webhooks:manage")
@api.input(WebhookEndpointIn, arg_name="body")
@api.output(WebhookEndpointOut, status_code=201)
@api.doc(summary="Register a webhook endpoint", tags=TAGS, security=SECURITY)
def create_endpoint(body):
    """Register a URL for chosen events; the signing secret is returned once."""
    org_id = body["org_id"] or current_actor().org_id
    require_org_in_reach(org_id)
    unknown = [e for e in body["events"] if e not in EVENTS]
    if unknown:
        fail(422, "unknown events", errors=[field_error("events", f"not events: {', '.join(unknown)}")])
    try:
        check_url(body["url"], allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except UnsafeURL as exc:
        fail(422, f"this URL cannot receive webhooks: {exc}", errors=[field_error("url", str(exc))])
    secret = new_secret()
    endpoint = WebhookEndpoint(
        org_id=org_id,
        url=body["url"],
        events=sorted(set(body["events"])),
        secret_enc=pii.encrypt(secret, SECRET_CONTEXT),
    )
    db.session.add(endpoint)
    db.session.commit()
    return With(endpoint, secret=secret)  # the secret is shown this once


@api.get("/webhook-endpoints")
@requires("webhooks:manage")
@api.output(WebhookEndpointList)
@api.doc(summary="Webhook endpoints", tags=TAGS, security=SECURITY)
def list_endpoints():
    """Active endpoints of the caller's organizations."""
    stmt = scope_to_tenant(select(WebhookEndpoint), WebhookEndpoint.org_id)
    rows = db.session.scalars(stmt.where(WebhookEndpoint.disabled_at.is_(None)).order_by(WebhookEndpoint.id))
    return {"items": list(rows)}


@api.delete("/webhook-endpoints/<int:endpoint_id>")
@requires("webhooks:manage")
@api.output({}, status_code=204)
@api.doc(summary="Remove a webhook endpoint", tags=TAGS, security=SECURITY)
def delete_endpoint(endpoint_id):
    """Stop sending to an endpoint (its delivery history stays)."""
    endpoint = get_visible_or_404(WebhookEndpoint, endpoint_id, what="webhook endpoint")
    if endpoint.disabled_at:
        raise NotFound("webhook endpoint")
    endpoint.disabled_at = utcnow()
    db.session.commit()
    return ""


@api.get("/webhook-deliveries")
@requires("webhooks:manage")
@api.input(DeliveryQuery, location="query", arg_name="query")
@api.output(WebhookDeliveryPage)
@api.doc(summary="Webhook deliveries", tags=TAGS, security=SECURITY)
def list_deliveries(query):
    """Deliveries to the caller's endpoints, newest last, filtered by state."""
    stmt = scope_to_tenant(select(WebhookDelivery), WebhookDelivery.org_id)
    if "state" in query:
        stmt = stmt.where(WebhookDelivery.state == query["state"])
    items, cursor = paginate(stmt, WebhookDelivery.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@api.post("/webhook-deliveries/<int:delivery_id>/replay")
@requires("webhooks:manage")
@api.output(WebhookDeliveryOut, status_code=202)
@api.doc(summary="Send one of my deliveries again", tags=TAGS, security=SECURITY)
def replay_delivery(delivery_id):
    """Queue one more attempt of a delivery to my endpoints (same webhook-id, so receivers dedupe);
    another organization's delivery answers 404."""
    row = get_visible_or_404(WebhookDelivery, delivery_id, what="webhook delivery")
    replay(row)
    after_commit(deliver.enqueue, row.id)
    db.session.commit()
    return row
