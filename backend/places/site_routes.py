"""Telecom sites: single create, bulk import, read, update."""

from apiflask import Schema
from sqlalchemy import select

from backend import fields
from backend.accounts.auth import current_actor, requires
from backend.accounts.tenancy import get_visible_or_404, require_org_in_reach, scope_to_tenant
from backend.blueprints import SECURITY, api
from backend.errors import fail, field_error
from backend.extensions import db
from backend.models import Site
from backend.pagination import paginate
from backend.places.schemas import SiteImportOut, SiteIn, SiteOut, SitePage, SitePatch, SiteQuery
from backend.places.service import place_sites, point_from_request, set_site_location
from backend.places.site_import import import_sites, rows_from_upload

IMPORT_FORMATS = (
    "CSV (code,name,site_type,lon,lat[,coord_sys,address,geofence_radius_m]) or a GeoJSON FeatureCollection"
)


class SiteImportIn(Schema):
    file = fields.File(required=True, metadata={"description": IMPORT_FORMATS})
    org_id = fields.Integer(load_default=None)


def _owner_org(org_id):
    actor = current_actor()
    org_id = org_id or actor.org_id
    if org_id is None:
        fail(422, "name the client organization", errors=[field_error("org_id", "required for platform staff")])
    require_org_in_reach(org_id)
    return org_id


@api.post("/sites")
@requires("sites:write")
@api.input(SiteIn, arg_name="body")
@api.output(SiteOut, status_code=201)
@api.doc(summary="Create a site", tags=["sites"], security=SECURITY)
def create_site(body):
    """Create a site; it is placed in the smallest region that covers it."""
    org_id = _owner_org(body["org_id"])
    lon_lat = point_from_request(body["location"], body["coord_sys"])
    if db.session.scalar(select(Site.id).where(Site.org_id == org_id, Site.code == body["code"])):
        fail(
            409,
            "site code already exists",
            errors=[field_error("code", "must be unique per organization")],
            kind="conflict",
        )
    site = Site(
        org_id=org_id,
        code=body["code"],
        name=body["name"],
        site_type=body["site_type"],
        address=body["address"],
        geofence_radius_m=body["geofence_radius_m"],
    )
    set_site_location(site, lon_lat)
    db.session.add(site)
    place_sites([_flushed_id(site)], org_id)
    db.session.commit()
    return db.session.get(Site, site.id)


def _flushed_id(row):
    db.session.flush()
    return row.id


@api.post("/sites/import")
@requires("sites:write")
@api.input(SiteImportIn, location="form_and_files", arg_name="form")
@api.output(SiteImportOut, status_code=201)
@api.doc(summary="Import sites from CSV or GeoJSON, all or nothing", tags=["sites"], security=SECURITY)
def import_site_file(form):
    """Import many sites; if any row is wrong, none is stored and every bad row is named."""
    org_id = _owner_org(form["org_id"])
    upload = form["file"]
    sites = import_sites(rows_from_upload(upload.filename or "", upload.read()), org_id)
    ids = [s.id for s in sites]
    db.session.commit()
    stored = list(db.session.scalars(select(Site).where(Site.id.in_(ids)).order_by(Site.id)))
    return {
        "created": len(stored),
        "placed": sum(1 for s in stored if s.region_id),
        "items": stored,
    }


@api.get("/sites")
@requires("sites:read")
@api.input(SiteQuery, location="query", arg_name="query")
@api.output(SitePage)
@api.doc(summary="Sites the caller can see", tags=["sites"], security=SECURITY)
def list_sites(query):
    """Sites of the caller's organizations, filtered by region, code or sub-account."""
    stmt = scope_to_tenant(select(Site), Site.org_id)
    for key in ("region_id", "code", "org_id"):
        if key in query:
            stmt = stmt.where(getattr(Site, key) == query[key])
    items, cursor = paginate(stmt, Site.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@api.get("/sites/<int:site_id>")
@requires("sites:read")
@api.output(SiteOut)
@api.doc(summary="One site", tags=["sites"], security=SECURITY)
def get_site(site_id):
    """One site."""
    return get_visible_or_404(Site, site_id, what="site")


@api.patch("/sites/<int:site_id>")
@requires("sites:write")
@api.input(SitePatch, arg_name="body")
@api.output(SiteOut)
@api.doc(summary="Update a site", tags=["sites"], security=SECURITY)
def update_site(site_id, body):
    """Update a site; a moved site is placed again."""
    site = get_visible_or_404(Site, site_id, what="site")
    coord_sys = body.pop("coord_sys", "wgs84")
    if "location" in body:
        set_site_location(site, point_from_request(body.pop("location"), coord_sys))
        place_sites([site.id], site.org_id)
    for key, value in body.items():
        setattr(site, key, value)
    db.session.commit()
    return db.session.get(Site, site_id)
