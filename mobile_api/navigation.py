"""Navigation to an order in the phone's map app: AMap and Baidu deep links.

Both map apps in China draw GCJ-02 ("Mars") coordinates; the platform stores WGS-84, so the
point is converted here (geo/coords.py) and the links say which datum they carry.
"""

from urllib.parse import quote, urlencode

from geoalchemy2.shape import to_shape

from backend.accounts.auth import requires
from backend.errors import NotFound
from backend.extensions import db
from backend.models import Order, Site
from backend.orders.matching import technician_can_see
from geo.coords import wgs84_to_gcj02
from mobile_api import mobile, my_technician

SECURITY = [{"BearerAuth": []}]
TAGS = ["mobile: orders"]


@mobile.get("/orders/<int:order_id>/navigation")
@requires("orders:work")
@mobile.doc(summary="Deep links to the order in AMap and Baidu Maps", tags=TAGS, security=SECURITY)
def navigation(order_id):
    """The work point in GCJ-02 and links that open AMap or Baidu Maps (app, or web as fallback)."""
    order = db.session.get(Order, order_id)
    if not technician_can_see(order, my_technician().id):
        raise NotFound("order")
    site = db.session.get(Site, order.site_id) if order.site_id else None
    geometry = site.location if site is not None and site.location is not None else order.location
    if geometry is None:
        raise NotFound("order location")
    point = to_shape(geometry)
    return navigation_links(point.x, point.y, site.name if site else f"#{order.id}")


def navigation_links(lon: float, lat: float, name: str) -> dict:
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    g_lon, g_lat = round(g_lon, 6), round(g_lat, 6)
    baidu = {
        "destination": f"latlng:{g_lat},{g_lon}|name:{name}",
        "coord_type": "gcj02",
        "mode": "driving",
        "src": "gridwork.technician",
    }
    amap = {"dlat": g_lat, "dlon": g_lon, "dname": name, "dev": 0, "t": 0}
    return {
        "name": name,
        "wgs84": [lon, lat],
        "gcj02": [g_lon, g_lat],
        "amap_app": f"amapuri://route/plan/?{urlencode(amap)}",
        "amap_web": f"https://uri.amap.com/navigation?to={g_lon},{g_lat},{quote(name)}&mode=car&coordinate=gaode&callnative=1",
        "baidu_app": f"baidumap://map/direction?{urlencode(baidu)}",
        "baidu_web": f"https://api.map.baidu.com/direction?{urlencode({**baidu, 'output': 'html', 'region': ''})}",
    }
