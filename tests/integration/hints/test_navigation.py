"""Navigation deep links carry GCJ-02 (what AMap and Baidu draw), converted from the stored WGS-84."""

from urllib.parse import parse_qs, urlparse

from geo.coords import wgs84_to_gcj02
from tests.integration.orders.conftest import SITE_A
from tests.integration.orders.helpers import MOBILE, create, online


def test_links_open_the_map_apps_at_the_site_in_gcj02(app, client, world):
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], publish=True)
    links = client.get(f"{MOBILE}/orders/{order['id']}/navigation", headers=world["tech_a_h"]).get_json()
    expected = [round(v, 6) for v in wgs84_to_gcj02(*SITE_A)]
    assert links["gcj02"] == expected and links["wgs84"] == list(SITE_A)
    assert expected != list(SITE_A), "the datums differ inside China"
    amap = parse_qs(urlparse(links["amap_app"]).query)
    assert (float(amap["dlon"][0]), float(amap["dlat"][0])) == tuple(expected)
    baidu = parse_qs(urlparse(links["baidu_app"]).query)
    assert baidu["coord_type"] == ["gcj02"] and f"latlng:{expected[1]},{expected[0]}" in baidu["destination"][0]
    assert client.get(f"{MOBILE}/orders/{order['id']}/navigation", headers=world["tech_b_h"]).status_code == 404
