"""Creating orders (one, a batch, a CSV) and showing them.

Validation collects every problem of every row before anything is stored, so a batch is
all or nothing and each broken row is named.
"""

from dataclasses import dataclass, field

from geoalchemy2.shape import from_shape, to_shape
from marshmallow import ValidationError
from shapely.geometry import Point
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend import storage
from backend.accounts.tenancy import org_ancestor_ids, org_subtree_ids
from backend.errors import Conflict, ValidationFailed, field_error
from backend.extensions import db
from backend.models import Order, OrderSkill, Region, Role, Site, Skill
from backend.orders.notify import queue_webhooks
from backend.orders.state import record
from backend.places.service import smallest_covering_region
from geo.shapes import GeometryError, parse_point

ON_SITE_KINDS = ("dispatch", "checkin")


@dataclass
class Draft:
    """One validated order, ready to insert; `errors` is empty when it is."""

    values: dict = field(default_factory=dict)
    skills: list = field(default_factory=list)
    lon_lat: tuple | None = None
    errors: list = field(default_factory=list)


class Catalogue:
    """Role and skill codes, loaded once per request for all rows of a batch."""

    def __init__(self):
        self.roles = set(db.session.scalars(select(Role.code)))
        self.skills = set(db.session.scalars(select(Skill.code)))
        self._sites = {}

    def site(self, org_id: int, code: str) -> Site | None:
        """A site of the organization's tree by code (all of the tree's sites loaded once)."""
        if org_id not in self._sites:
            rows = db.session.scalars(select(Site).where(Site.org_id.in_(org_subtree_ids(org_id))).order_by(Site.id))
            self._sites[org_id] = {}
            for row in rows:
                self._sites[org_id].setdefault(row.code, row)
        return self._sites[org_id].get(code)


def validate_order(body: dict, org_id: int, catalogue: Catalogue, row=None) -> Draft:
    """Check one order body (already schema-valid) against the database; gather all errors."""
    draft = Draft()
    err = _collector(draft, row)
    _place(body, org_id, draft, err, catalogue)
    if body["role"] and body["role"] not in catalogue.roles:
        err("role", "no such role in the catalogue")
    for i, need in enumerate(body["skills"]):
        if need["code"] not in catalogue.skills:
            err(f"skills.{i}.code", "no such skill in the catalogue")
    for i, sha in enumerate(body["attachments"]):
        if not storage.exists(sha):
            err(f"attachments.{i}", "no uploaded file has this SHA-256")
    windows = [{"start": iso(w["start"]), "end": iso(w["end"])} for w in body["time_windows"]]
    draft.values.update(
        org_id=org_id,
        client_ref=body["client_ref"],
        kind=body["kind"],
        role_code=body["role"],
        priority=body["priority"],
        time_windows=windows,
        sla_deadline=body["sla_deadline"],
        window_end=max((w["end"] for w in body["time_windows"]), default=None),
        standard_duration_min=body["standard_duration_min"],
        work_type=body["work_type"],
        description=body["description"],
        attachments=body["attachments"],
        dispatch_mode=body["dispatch_mode"],
    )
    draft.skills = [(s["code"], s["min_level"]) for s in body["skills"]]
    return draft


def _collector(draft, row):
    def err(name, message):
        extra = {"row": row} if row is not None else {}
        draft.errors.append(field_error(name, message, **extra))

    return err


def _place(body, org_id, draft, err, catalogue):
    """Where the work is: a site of the client, a point, or (project orders) just a region."""
    if body["site_code"] and body["location"] is not None:
        return err("location", "give either a site_code or a location, not both")
    if body["site_code"]:
        site = catalogue.site(org_id, body["site_code"])
        if site is None:
            return err("site_code", "no site with this code in the organization")
        draft.values.update(site_id=site.id, region_id=site.region_id)
        draft.lon_lat = lon_lat(site.location)
    elif body["location"] is not None:
        try:
            draft.lon_lat = parse_point(body["location"], coord_sys=body["coord_sys"])
        except GeometryError as exc:
            return err("location", exc.message)
    elif body["kind"] in ON_SITE_KINDS:
        return err("site_code", f"a {body['kind']} order needs a site_code or a location")
    if body["region_id"] is not None:
        _given_region(body["region_id"], org_id, draft, err)


def _given_region(region_id, org_id, draft, err):
    # A region named in the body only stands when no site or point already places the order.
    if draft.lon_lat is not None:
        return err("region_id", "give a region only for orders without a site or location")
    owners = org_ancestor_ids(org_id)
    region = db.session.get(Region, region_id)
    if region is None or (region.org_id is not None and region.org_id not in owners):
        return err("region_id", "no such region")
    draft.values["region_id"] = region_id


def insert_drafts(drafts: list[Draft], actor) -> list[Order]:
    """Insert validated drafts, each with its "created" event; orders with only a point are placed."""
    _check_duplicate_refs(drafts)
    orders = []
    for draft in drafts:
        order = Order(**draft.values, skills=[OrderSkill(skill_code=c, min_level=m) for c, m in draft.skills])
        if draft.lon_lat is not None:
            order.location = from_shape(Point(*draft.lon_lat), srid=4326)
        db.session.add(order)
        orders.append(order)
    _flush_or_conflict()
    _place_points([o for o in orders if o.site_id is None and o.location is not None])
    for order in orders:
        record(order.id, "created", actor, None, "created")
        queue_webhooks(order, "order.created")
    return orders


def _flush_or_conflict():
    # The check above reads committed rows; a concurrent insert of the same client_ref is
    # caught by the unique constraint instead (the request's rollback discards the rest).
    try:
        db.session.flush()
    except IntegrityError as exc:
        if "uq_orders_org_client_ref" in str(exc.orig):
            raise Conflict("client_ref already used", errors=[field_error("client_ref", "already used")]) from exc
        raise


def _check_duplicate_refs(drafts):
    refs = [(d.values["org_id"], d.values["client_ref"]) for d in drafts]
    errors = [
        field_error("client_ref", "repeated in this request", row=i) for i, r in enumerate(refs) if refs.index(r) != i
    ]
    for org_id in {r[0] for r in refs}:
        mine = [r[1] for r in refs if r[0] == org_id]
        taken = set(
            db.session.scalars(select(Order.client_ref).where(Order.org_id == org_id, Order.client_ref.in_(mine)))
        )
        errors += [
            field_error("client_ref", "an order with this client_ref exists", row=i)
            for i, r in enumerate(refs)
            if r[0] == org_id and r[1] in taken
        ]
    if errors:
        raise Conflict("client_ref already used", errors=errors)


def _place_points(orders):
    for order in orders:
        covering = smallest_covering_region(Order.location, org_ancestor_ids(order.org_id))
        order.region_id = db.session.scalar(select(covering).where(Order.id == order.id))


def require_clean(drafts: list[Draft]):
    errors = [e for d in drafts for e in d.errors]
    if errors:
        raise ValidationFailed(
            f"{len({e.get('row') for e in errors})} order(s) are invalid; none was stored", errors=errors
        )


def load_rows(schema, rows: list[dict]) -> tuple[list[dict], list[dict]]:
    """Schema-validate many raw rows; return (loaded, errors with row numbers)."""
    loaded, errors = [], []
    for i, raw in enumerate(rows):
        try:
            loaded.append(schema.load(raw))
        except ValidationError as exc:
            errors += _row_errors(exc.messages, i)
    return loaded, errors


def _row_errors(messages, row, prefix=""):
    out = []
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out += _row_errors(value, row, f"{name}.")
        else:
            out += [field_error(name, m, row=row) for m in (value if isinstance(value, list) else [value])]
    return out


def lon_lat(geom):
    """(lon, lat) of a stored point."""
    point = to_shape(geom)
    return (point.x, point.y)


def iso(value):
    return value.isoformat() if value is not None else None


def order_point(order: Order):
    """(lon, lat) where the work is done, from the site or the order's own point; None online."""
    if order.site_id is not None:
        return lon_lat(db.session.get(Site, order.site_id).location)
    return lon_lat(order.location) if order.location is not None else None
