"""Regions: the platform's operating areas (city → district → grid), as GeoJSON."""

from geoalchemy2.shape import from_shape
from sqlalchemy import func, select

from backend.accounts.auth import current_actor, requires
from backend.accounts.tenancy import get_visible_or_404, require_org_in_reach, scope_to_tenant
from backend.blueprints import SECURITY, api
from backend.errors import fail, field_error
from backend.extensions import db
from backend.models import Region
from backend.pagination import paginate
from backend.places.schemas import RegionCollection, RegionFeature, RegionIn, RegionPatch, RegionQuery
from backend.places.service import (
    PARENT_TOLERANCE_DEG,
    area_from_request,
    check_region_parent,
    load_parent,
    replace_sites_for_region,
    set_region_geometry,
)


@api.post("/regions")
@requires("regions:write")
@api.input(RegionIn, arg_name="body")
@api.output(RegionFeature, status_code=201)
@api.doc(summary="Create a region from GeoJSON", tags=["regions"], security=SECURITY)
def create_region(body):
    """Create a region; the geometry is validated and stored as WGS-84."""
    org_id = _owner_for_new_region(body["org_id"])
    shape = area_from_request(body["geometry"], body["coord_sys"])
    parent = load_parent(body["parent_id"])
    check_region_parent(body["level"], parent, shape)
    if db.session.scalar(select(Region.id).where(Region.code == body["code"])):
        fail(409, "region code already in use", errors=[field_error("code", "must be unique")], kind="conflict")
    region = Region(
        code=body["code"],
        name=body["name"],
        level=body["level"],
        parent_id=body["parent_id"],
        org_id=org_id,
        coefficient=body["coefficient"],
    )
    set_region_geometry(region, shape)
    db.session.add(region)
    replace_sites_for_region(region)
    db.session.commit()
    return region


def _owner_for_new_region(org_id):
    actor = current_actor()
    if not actor.is_platform:
        org_id = org_id or actor.org_id
    if org_id is not None:
        require_org_in_reach(org_id)
    return org_id


@api.get("/regions")
@requires("regions:read")
@api.input(RegionQuery, location="query", arg_name="query")
@api.output(RegionCollection)
@api.doc(summary="Regions as a GeoJSON FeatureCollection", tags=["regions"], security=SECURITY)
def list_regions(query):
    """Platform regions and the caller's own, as a FeatureCollection."""
    stmt = scope_to_tenant(select(Region), Region.org_id, include_shared=True)
    if "level" in query:
        stmt = stmt.where(Region.level == query["level"])
    if "parent_id" in query:
        stmt = stmt.where(Region.parent_id == query["parent_id"])
    items, cursor = paginate(stmt, Region.id, limit=query["limit"], cursor=query["cursor"])
    return {"type": "FeatureCollection", "features": items, "next_cursor": cursor}


@api.get("/regions/<int:region_id>")
@requires("regions:read")
@api.output(RegionFeature)
@api.doc(summary="One region as a GeoJSON Feature", tags=["regions"], security=SECURITY)
def get_region(region_id):
    """One region as a GeoJSON Feature."""
    return get_visible_or_404(Region, region_id, include_shared=True, what="region")


@api.patch("/regions/<int:region_id>")
@requires("regions:write")
@api.input(RegionPatch, arg_name="body")
@api.output(RegionFeature)
@api.doc(summary="Rename, re-weight or redraw a region", tags=["regions"], security=SECURITY)
def update_region(region_id, body):
    """Rename, change the coefficient or redraw a region; sites are re-placed."""
    region = get_visible_or_404(Region, region_id, include_shared=True, what="region")
    if region.org_id is None and not current_actor().is_platform:
        fail(403, "platform regions are changed by platform staff", kind="forbidden")
    if "geometry" in body:
        _redraw(region, area_from_request(body["geometry"], body["coord_sys"]))
    for key in ("name", "coefficient"):
        if key in body:
            setattr(region, key, body[key])
    db.session.commit()
    return region


def _redraw(region, shape):
    check_region_parent(region.level, region.parent, shape)
    grown = from_shape(shape.buffer(PARENT_TOLERANCE_DEG), srid=4326)
    outside = db.session.scalar(
        select(func.count()).where(Region.parent_id == region.id, ~func.ST_Covers(grown, Region.geom))
    )
    if outside:
        fail(
            422,
            f"{outside} child region(s) would fall outside",
            errors=[field_error("geometry", "must cover its child regions")],
        )
    set_region_geometry(region, shape)
    replace_sites_for_region(region)
