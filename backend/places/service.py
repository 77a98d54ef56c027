"""Regions and sites: geometry validation, hierarchy rules, placement by PostGIS."""

from geoalchemy2.shape import from_shape, to_shape
from shapely.geometry import Point
from sqlalchemy import func, or_, select, update

from backend.accounts.tenancy import get_visible_or_404, org_ancestor_ids
from backend.errors import PlainProblem, field_error
from backend.extensions import db
from backend.models import Region, Site
from backend.models.places import PARENT_LEVEL
from geo.shapes import GeometryError, parse_area, parse_point

# Child regions may overshoot their parent by floating-point noise at shared borders.
PARENT_TOLERANCE_DEG = 0.00001


def area_from_request(geometry: dict, coord_sys: str, field="geometry"):
    try:
        return parse_area(geometry, coord_sys=coord_sys)
    except GeometryError as exc:
        raise PlainProblem(
            f"invalid {field}: {exc.message}", errors=[field_error(_join(field, exc.path), exc.message)]
        ) from exc


def point_from_request(location, coord_sys: str, field="location", location_kind="json", row=None):
    try:
        return parse_point(location, coord_sys=coord_sys)
    except GeometryError as exc:
        extra = {"row": row} if row is not None else {}
        raise PlainProblem(
            f"invalid {field}: {exc.message}",
            errors=[field_error(_join(field, exc.path), exc.message, location_kind, **extra)],
        ) from exc


def _join(field, path):
    return f"{field}.{path}" if path else field


def check_region_parent(level: str, parent: Region | None, shape):
    """A district sits in a city, a grid in a district, and inside its parent's polygon."""
    wanted = PARENT_LEVEL[level]
    if wanted is None and parent is not None:
        raise PlainProblem("a city has no parent region", errors=[field_error("parent_id", "must be empty for a city")])
    if wanted is not None and (parent is None or parent.level != wanted):
        raise PlainProblem(
            f"a {level} needs a parent {wanted}", errors=[field_error("parent_id", f"must name a {wanted} region")]
        )
    if parent is not None and not to_shape(parent.geom).buffer(PARENT_TOLERANCE_DEG).covers(shape):
        raise PlainProblem(
            "the region is not inside its parent",
            errors=[field_error("geometry", f"must lie inside region {parent.id}")],
        )


def set_region_geometry(region: Region, shape):
    region.geom = from_shape(shape, srid=4326)
    region.area_m2 = db.session.scalar(select(func.ST_Area(func.ST_GeogFromWKB(func.ST_AsBinary(region.geom)))))


def load_parent(parent_id):
    if parent_id is None:
        return None
    return get_visible_or_404(Region, parent_id, include_shared=True, what="parent region")


def set_site_location(site: Site, lon_lat):
    site.location = from_shape(Point(*lon_lat), srid=4326)


def smallest_covering_region(location_column, org_ids):
    """Correlated subquery: the smallest region covering a point, among the platform's
    regions and those of the site's organization or its parents."""
    return (
        select(Region.id)
        .where(func.ST_Covers(Region.geom, location_column))
        .where(or_(Region.org_id.is_(None), Region.org_id.in_(org_ids)))
        .order_by(Region.area_m2, Region.id)
        .limit(1)
        .scalar_subquery()
    )


def place_sites(site_ids, org_id):
    """Put each site in the smallest region that covers it (PostGIS, GiST-indexed)."""
    db.session.flush()
    region = smallest_covering_region(Site.location, org_ancestor_ids(org_id))
    db.session.execute(
        update(Site).where(Site.id.in_(site_ids)).values(region_id=region),
        execution_options={"synchronize_session": False},
    )
    db.session.expire_all()


def replace_sites_for_region(region: Region):
    """After a region appears or moves, sites it covers (or covered) may change region."""
    db.session.flush()
    affected = select(Site.id, Site.org_id).where(
        or_(func.ST_Covers(region.geom, Site.location), Site.region_id == region.id)
    )
    by_org = {}
    for site_id, org_id in db.session.execute(affected):
        by_org.setdefault(org_id, []).append(site_id)
    for org_id, site_ids in by_org.items():
        place_sites(site_ids, org_id)
