"""The platform regions a technician may ask to serve, named for the app's picker.

Client-owned regions are private to their tenant and never listed here (asking for one is a 404
in POST /me/region-requests too)."""

from sqlalchemy import select

from backend.accounts.auth import requires
from backend.extensions import db
from backend.models import Region
from backend.places.schemas import PlatformRegionList, PlatformRegionQuery
from mobile_api import mobile

SECURITY = [{"BearerAuth": []}]
MAX_REGIONS = 2000  # a platform has cities, districts and grids: hundreds, not more


@mobile.get("/regions")
@requires("profile:self")
@mobile.input(PlatformRegionQuery, location="query", arg_name="query")
@mobile.output(PlatformRegionList)
@mobile.doc(summary="Platform regions I may ask to serve", tags=["mobile: onboarding"], security=SECURITY)
def platform_regions(query):
    """Platform regions (id, code, name, level, parent), cities first; optionally one level."""
    stmt = select(Region).where(Region.org_id.is_(None))
    if query["level"]:
        stmt = stmt.where(Region.level == query["level"])
    order = (Region.level != "city", Region.level != "district", Region.name, Region.id)
    return {"items": db.session.scalars(stmt.order_by(*order).limit(MAX_REGIONS))}
