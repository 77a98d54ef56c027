"""The client order API: create (one, a batch, a CSV), follow, publish, cancel, and judge deliveries."""

import csv
import hashlib
import io
from dataclasses import asdict

from flask import Response, jsonify, request, url_for
from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.accounts.tenancy import org_ancestor_ids, require_org_in_reach, visible_org_ids
from backend.blueprints import SECURITY, api
from backend.errors import Forbidden, NotFound, PlainProblem, ValidationFailed, field_error
from backend.extensions import db
from backend.models import Order, OrderEvent, RateCard
from backend.orders import evidence as proof
from backend.orders import idempotency as idem
from backend.orders import lifecycle as life
from backend.orders import service as svc
from backend.orders import track as order_tracks
from backend.orders.schemas import (
    MAX_BATCH,
    AcceptIn,
    BatchOut,
    EventList,
    EvidenceList,
    OrderBatchIn,
    OrderImportIn,
    OrderIn,
    OrderOut,
    OrderPage,
    OrderQuery,
    OrderTrackQuery,
    RateCardList,
    RatingIn,
    ReasonIn,
)
from backend.orders.search import OrderFilter, search_orders, visible_orders
from backend.pagination import paginate
from backend.request_guard import check_rows
from backend.tracking.schemas import ReplayOut

TAGS = ["orders"]
IDEMPOTENCY_DOC = (
    "Send an Idempotency-Key header to retry safely: the same key and body replay the first "
    "answer (kept at least 24 h); the same key with another body is a 422."
)


def actor():
    """(kind, id) of the caller, for event rows."""
    actor = current_actor()
    return (actor.kind, actor.id)


def claim_key(payload) -> idem.Claim | None:
    """Claim the request's Idempotency-Key, if it sent one."""
    key = request.headers.get(idem.HEADER, "").strip()
    if not key:
        return None
    if len(key) > idem.MAX_KEY_LENGTH:
        raise PlainProblem(
            "Idempotency-Key is too long",
            errors=[field_error(idem.HEADER, f"at most {idem.MAX_KEY_LENGTH} characters", "headers")],
        )
    return idem.begin(current_actor().org_id or 0, key, request.path, payload)


def replayed(claim):
    """The first answer again, for a retry with the same key and body."""
    response = jsonify(claim.replay_body)
    response.status_code = claim.replay_status
    response.headers["Idempotent-Replayed"] = "true"
    return response


def answer(claim, status, body):
    """The response, stored under the request's key (if any) before the commit."""
    idem.finish(claim, status, body)
    db.session.commit()
    response = jsonify(body)
    response.status_code = status
    return response


def owner_org(org_id):
    """The organization an order is created for: the caller's, or one of its sub-accounts."""
    actor = current_actor()
    org_id = org_id or actor.org_id
    if org_id is None or actor.is_platform:
        raise Forbidden("orders are created by clients")
    require_org_in_reach(org_id)
    return org_id


def load_order(order_id, *, lock=False) -> Order:
    """One order of the caller's organizations, or 404 (the same for another tenant's)."""
    stmt = visible_orders(current_actor()).where(Order.id == order_id)
    order = db.session.scalar(stmt.with_for_update() if lock else stmt)
    if order is None:
        raise NotFound("order")
    return order


def created(claim, orders):
    return answer(claim, 201, BatchOut().dump({"created": len(orders), "items": orders}))


def _create(bodies, org_ids, publish_flags, *, numbered=True):
    """Validate every body, then store all (and publish those asked) or none."""
    catalogue = svc.Catalogue()
    drafts = [svc.validate_order(b, org_ids[i], catalogue, row=i if numbered else None) for i, b in enumerate(bodies)]
    svc.require_clean(drafts)
    orders = svc.insert_drafts(drafts, actor())
    for order, publish in zip(orders, publish_flags, strict=True):
        if publish:
            life.publish(order, actor())
    return orders


@api.post("/orders")
@requires("orders:write")
@api.input(OrderIn, arg_name="body")
@api.output(OrderOut, status_code=201)
@api.doc(summary="Create an order", tags=TAGS, security=SECURITY, description=IDEMPOTENCY_DOC)
def create_order(body):
    """Create one order (optionally published at once); honours Idempotency-Key."""
    claim = claim_key(request.get_json(silent=True))
    if claim is not None and claim.is_replay:
        return replayed(claim)
    order = _create([body], [owner_org(body["org_id"])], [body["publish"]], numbered=False)[0]
    db.session.flush()
    return answer(claim, 201, OrderOut().dump(order))


@api.post("/orders/batch")
@requires("orders:write")
@api.input(OrderBatchIn, arg_name="body")
@api.output(BatchOut, status_code=201)
@api.doc(
    summary=f"Create up to {MAX_BATCH} orders, all or nothing",
    tags=TAGS,
    security=SECURITY,
    description=IDEMPOTENCY_DOC,
)
def create_batch(body):
    """Create many orders; if any row is wrong none is stored and every bad row is named."""
    claim = claim_key(request.get_json(silent=True))
    if claim is not None and claim.is_replay:
        return replayed(claim)
    loaded, errors = svc.load_rows(OrderIn(), body["orders"])
    if errors:
        raise ValidationFailed("some orders are invalid; none was stored", errors=errors)
    org_ids = [owner_org(b["org_id"]) for b in loaded]
    return created(claim, _create(loaded, org_ids, [b["publish"] for b in loaded]))


@api.post("/orders/import")
@requires("orders:write")
@api.input(OrderImportIn, location="form_and_files", arg_name="form")
@api.output(BatchOut, status_code=201)
@api.doc(summary="Import orders from CSV, all or nothing", tags=TAGS, security=SECURITY, description=IDEMPOTENCY_DOC)
def import_orders(form):
    """Import orders from a CSV file; every broken row is named and nothing is stored."""
    data = form["file"].read()
    claim = claim_key({"csv_sha256": hashlib.sha256(data).hexdigest(), "org_id": form["org_id"]})
    if claim is not None and claim.is_replay:
        return replayed(claim)
    org_id = owner_org(form["org_id"])
    rows = csv_rows(data)
    loaded, errors = svc.load_rows(OrderIn(), rows)
    if errors:
        raise ValidationFailed("some rows are invalid; none was stored", errors=errors)
    return created(claim, _create(loaded, [org_id] * len(loaded), [form["publish"]] * len(loaded)))


CSV_FIELDS = (
    "client_ref",
    "kind",
    "work_type",
    "site_code",
    "role",
    "priority",
    "sla_deadline",
    "standard_duration_min",
    "description",
    "dispatch_mode",
    "coord_sys",
)


def csv_rows(data: bytes) -> list[dict]:
    """CSV rows as OrderIn bodies (row numbers in errors count data rows from 0)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlainProblem(
            "the file is not UTF-8 text", errors=[field_error("file", "must be UTF-8 CSV", "files")]
        ) from exc
    rows = [_csv_body(r) for r in csv.DictReader(io.StringIO(text))]
    check_rows(rows, first_row=0)  # NUL characters, named by row and column
    if not rows or len(rows) > MAX_BATCH:
        raise PlainProblem(
            f"a CSV holds 1 to {MAX_BATCH} orders", errors=[field_error("file", "wrong row count", "files")]
        )
    return rows


def _csv_body(row: dict) -> dict:
    body = {k: row[k].strip() for k in CSV_FIELDS if (row.get(k) or "").strip()}
    if (row.get("lon") or "").strip() and (row.get("lat") or "").strip():
        body["location"] = [_number(row["lon"]), _number(row["lat"])]
    if (row.get("skills") or "").strip():
        body["skills"] = [_skill(part) for part in row["skills"].split(";") if part.strip()]
    start, end = (row.get("window_start") or "").strip(), (row.get("window_end") or "").strip()
    if start or end:
        body["time_windows"] = [{"start": start, "end": end}]
    return body


def _skill(part):
    code, _, level = part.strip().partition(":")
    return {"code": code.strip(), "min_level": level.strip() or 1}


def _number(text):
    try:
        return float(text)
    except ValueError:
        return text


@api.get("/orders")
@requires("orders:read")
@api.input(OrderQuery, location="query", arg_name="query")
@api.output(OrderPage)
@api.doc(summary="Orders the caller can see", tags=TAGS, security=SECURITY)
def list_orders(query):
    """Orders of the caller's organizations, filtered by status, kind, region, site, dates, SLA."""
    stmt = search_orders(current_actor(), OrderFilter.from_query(query))
    items, cursor = paginate(stmt, Order.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@api.get("/orders/<int:order_id>")
@requires("orders:read")
@api.output(OrderOut)
@api.doc(summary="One order", tags=TAGS, security=SECURITY)
def get_order(order_id):
    """One order, with what may happen to it next and its points."""
    return load_order(order_id)


@api.get("/orders/<int:order_id>/events")
@requires("orders:read")
@api.output(EventList)
@api.doc(summary="An order's history", tags=TAGS, security=SECURITY)
def order_events(order_id):
    """Every state change of the order: who, when, where, from → to, why."""
    load_order(order_id)
    events = db.session.scalars(select(OrderEvent).where(OrderEvent.order_id == order_id).order_by(OrderEvent.id))
    return {"items": list(events)}


FILE_TYPES = {t: {"schema": {"type": "string", "format": "binary"}} for t in proof.EXTENSIONS}


def _described(order_id, found: proof.EvidenceFile) -> dict:
    url = url_for("api.download_evidence", order_id=order_id, sha256=found.sha256)
    return {
        **asdict(found),
        "file_name": found.file_name(order_id),
        "url": url,
        "thumbnail_url": f"{url}/thumbnail" if found.is_image else None,
    }


@api.get("/orders/<int:order_id>/evidence")
@requires("orders:read")
@api.output(EvidenceList)
@api.doc(summary="An order's evidence files", tags=TAGS, security=SECURITY)
def list_evidence(order_id):
    """The files the technician delivered: type, size, when uploaded, download and thumbnail links."""
    order = load_order(order_id)
    return {"items": [_described(order_id, f) for f in proof.evidence_files(order)]}


@api.get("/orders/<int:order_id>/evidence/<sha256>")
@requires("orders:read")
@api.doc(
    summary="Download an evidence file",
    tags=TAGS,
    security=SECURITY,
    responses={200: {"description": "the file, as delivered", "content": FILE_TYPES}},
)
def download_evidence(order_id, sha256):
    """The file's bytes with its type (told by its content) and a download name; 404 for a file
    that is not this order's evidence, or an order the caller cannot see."""
    found = proof.evidence_file(load_order(order_id), sha256)
    headers = {
        "Content-Disposition": f'attachment; filename="{found.file_name(order_id)}"',
        "Cache-Control": "private, max-age=86400, immutable",  # content-addressed: it never changes
        "ETag": f'"{found.sha256}"',
        "X-Content-Type-Options": "nosniff",
    }
    return Response(proof.content(found), mimetype=found.content_type, headers=headers)


@api.get("/orders/<int:order_id>/evidence/<sha256>/thumbnail")
@requires("orders:read")
@api.doc(
    summary="Thumbnail of an evidence photo",
    tags=TAGS,
    security=SECURITY,
    responses={200: {"description": "a JPEG at most 320 px wide", "content": {"image/jpeg": {}}}},
)
def evidence_thumbnail(order_id, sha256):
    """A small JPEG of an evidence photo (404 for a PDF)."""
    found = proof.evidence_file(load_order(order_id), sha256)
    headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
    return Response(proof.thumbnail(found), mimetype="image/jpeg", headers=headers)


@api.get("/orders/<int:order_id>/track")
@requires("orders:read")
@api.input(OrderTrackQuery, location="query", arg_name="query")
@api.output(ReplayOut)
@api.doc(summary="Replay the technician's way to this order", tags=TAGS, security=SECURITY)
def order_track(order_id, query):
    """The technician's track from claiming the order to delivering it (now, while the work goes
    on) as a GeoJSON LineString with per-vertex times, and the order's events on the way. Nothing
    outside that window is shown; an order nobody has accepted has an empty track."""
    return order_tracks.order_track(load_order(order_id), query["tolerance_m"])


def _act(order_id, fn, *args):
    order = load_order(order_id)
    fn(order, actor(), *args)
    db.session.commit()
    return db.session.get(Order, order_id)


@api.post("/orders/<int:order_id>/publish")
@requires("orders:write")
@api.output(OrderOut)
@api.doc(summary="Publish an order", tags=TAGS, security=SECURITY)
def publish_order(order_id):
    """Publish: offered to eligible technicians online (grab) or assigned to the best (auto)."""
    return _act(order_id, life.publish)


@api.post("/orders/<int:order_id>/cancel")
@requires("orders:write")
@api.input(ReasonIn, arg_name="body")
@api.output(OrderOut)
@api.doc(summary="Cancel an order", tags=TAGS, security=SECURITY)
def cancel_order(order_id, body):
    """Cancel an order that is not yet delivered, with a reason."""
    return _act(order_id, life.cancel, body["reason"])


@api.post("/orders/<int:order_id>/accept")
@requires("orders:write")
@api.input(AcceptIn, arg_name="body")
@api.output(OrderOut)
@api.doc(summary="Accept a delivery", tags=TAGS, security=SECURITY)
def accept_delivery(order_id, body):
    """Accept (verify) a delivery, optionally rating it; points are computed."""
    return _act(order_id, life.verify, body["rating"], body["reason"])


@api.post("/orders/<int:order_id>/reject")
@requires("orders:write")
@api.input(ReasonIn, arg_name="body")
@api.output(OrderOut)
@api.doc(summary="Reject a delivery", tags=TAGS, security=SECURITY)
def reject_delivery(order_id, body):
    """Reject a delivery with a reason; it returns to the technician."""
    return _act(order_id, life.reject, body["reason"])


@api.post("/orders/<int:order_id>/rating")
@requires("orders:write")
@api.input(RatingIn, arg_name="body")
@api.output(OrderOut)
@api.doc(summary="Rate the quality of a delivery", tags=TAGS, security=SECURITY)
def rate_order(order_id, body):
    """Rate quality 1-5 (delivered or verified orders; a verified order's points follow)."""
    return _act(order_id, life.rate, body["rating"])


@api.get("/rate-cards")
@requires("orders:read")
@api.output(RateCardList)
@api.doc(summary="Rate cards of the caller's organizations", tags=TAGS, security=SECURITY)
def list_rate_cards():
    """Every version of the rate cards that apply to the caller."""
    orgs = visible_org_ids()
    stmt = select(RateCard).order_by(RateCard.org_id, RateCard.version)
    if orgs is not None:
        stmt = stmt.where(RateCard.org_id.in_(set(orgs) | set(org_ancestor_ids(current_actor().org_id))))
    return {"items": list(db.session.scalars(stmt))}
