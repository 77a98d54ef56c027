import pytest

from geo.coords import wgs84_to_gcj02
from geo.distance import haversine_m


def square(x0, y0, x1, y1):
    return {"type": "Polygon", "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]]}


CITY = square(104.0, 30.6, 104.2, 30.8)


@pytest.fixture
def staff(factory):
    return factory.as_role("platform_admin")


def create(client, headers, **fields):
    body = {"code": "CD", "name": "Chengdu", "level": "city", "geometry": CITY, **fields}
    return client.post("/api/v1/regions", headers=headers, json=body)


def region_count(client, headers):
    return len(client.get("/api/v1/regions", headers=headers).get_json()["features"])


def test_create_returns_a_geojson_feature(client, staff):
    response = create(client, staff, coefficient="1.250")
    assert response.status_code == 201, response.get_json()
    feature = response.get_json()
    assert feature["type"] == "Feature" and feature["geometry"]["type"] == "Polygon"
    assert feature["properties"]["coefficient"] == "1.250"
    assert 400 < feature["properties"]["area_km2"] < 450  # 0.2 by 0.2 degrees at 30.7 N
    listed = client.get("/api/v1/regions", headers=staff).get_json()
    assert listed["type"] == "FeatureCollection" and listed["features"][0]["id"] == feature["id"]


@pytest.mark.parametrize(
    ("geometry", "field", "words"),
    [
        (
            {"type": "Polygon", "coordinates": [[[104, 30], [105, 30], [105, 31], [104, 31]]]},
            "geometry.coordinates[0]",
            "not closed",
        ),
        ({"type": "Polygon", "coordinates": [[[104, 30], [105, 31], [104, 30]]]}, "geometry.coordinates[0]", "4"),
        (
            {"type": "Polygon", "coordinates": [[[200, 30], [105, 30], [105, 31], [200, 30]]]},
            "geometry.coordinates[0][0]",
            "longitude",
        ),
        (
            {"type": "Polygon", "coordinates": [[[104, -95], [105, 30], [105, 31], [104, -95]]]},
            "geometry.coordinates[0][0]",
            "latitude",
        ),
        (
            {"type": "Polygon", "coordinates": [[[104, 30], [105, 31], [105, 30], [104, 31], [104, 30]]]},
            "geometry",
            "Self-intersection",
        ),
        ({"type": "LineString", "coordinates": [[104, 30], [105, 31]]}, "geometry.type", "Polygon"),
        (
            {"type": "Polygon", "coordinates": [[["104", 30], [105, 30], [105, 31], ["104", 30]]]},
            "geometry.coordinates[0][0]",
            "number",
        ),
    ],
)
def test_bad_geojson_is_422_naming_the_problem_and_nothing_stored(client, staff, geometry, field, words):
    response = create(client, staff, geometry=geometry)
    body = response.get_json()
    assert response.status_code == 422, body
    assert body["errors"][0]["field"].startswith(field), body
    assert words.lower() in (body["errors"][0]["message"] + body["detail"]).lower()
    assert region_count(client, staff) == 0


def test_unknown_coord_sys_is_422(client, staff):
    response = create(client, staff, coord_sys="mars")
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"] == "coord_sys"
    assert region_count(client, staff) == 0


def test_gcj02_geometry_is_stored_as_wgs84(client, staff):
    gcj = [
        list(wgs84_to_gcj02(x, y))
        for x, y in [(104.0, 30.6), (104.2, 30.6), (104.2, 30.8), (104.0, 30.8), (104.0, 30.6)]
    ]
    response = create(client, staff, geometry={"type": "Polygon", "coordinates": [gcj]}, coord_sys="gcj02")
    assert response.status_code == 201, response.get_json()
    stored = response.get_json()["geometry"]["coordinates"][0][0]
    assert haversine_m(*stored, 104.0, 30.6) < 2.0


def test_hierarchy_rules(client, staff):
    city = create(client, staff).get_json()["id"]
    orphan = create(client, staff, code="D1", level="district")
    assert orphan.status_code == 422 and orphan.get_json()["errors"][0]["field"] == "parent_id"
    outside = create(client, staff, code="D2", level="district", parent_id=city, geometry=square(105, 31, 105.1, 31.1))
    assert outside.status_code == 422 and outside.get_json()["errors"][0]["field"] == "geometry"
    skipped = create(client, staff, code="G1", level="grid", parent_id=city, geometry=square(104.0, 30.6, 104.1, 30.7))
    assert skipped.status_code == 422, "a grid's parent is a district"
    inside = create(
        client, staff, code="D3", level="district", parent_id=city, geometry=square(104.0, 30.6, 104.1, 30.7)
    )
    assert inside.status_code == 201
    assert (
        create(
            client, staff, code="D3", level="district", parent_id=city, geometry=square(104.0, 30.6, 104.1, 30.7)
        ).status_code
        == 409
    )


def test_client_cannot_change_platform_regions(client, factory, staff):
    city = create(client, staff).get_json()["id"]
    client_admin = factory.as_role("client_admin")
    assert client.get(f"/api/v1/regions/{city}", headers=client_admin).status_code == 200
    assert client.patch(f"/api/v1/regions/{city}", headers=client_admin, json={"name": "mine"}).status_code == 403


def test_redrawing_a_region_moves_its_sites(client, factory, staff):
    org = factory.org()
    city = create(client, staff).get_json()["id"]
    district = create(
        client, staff, code="D", level="district", parent_id=city, geometry=square(104.0, 30.6, 104.1, 30.7)
    ).get_json()["id"]
    site = factory.site(org, (104.15, 30.65))
    dispatcher = factory.as_role("platform_admin")
    assert client.get(f"/api/v1/sites/{site}", headers=dispatcher).get_json()["region_id"] == city
    redraw = client.patch(
        f"/api/v1/regions/{district}", headers=staff, json={"geometry": square(104.0, 30.6, 104.2, 30.7)}
    )
    assert redraw.status_code == 200, redraw.get_json()
    assert client.get(f"/api/v1/sites/{site}", headers=dispatcher).get_json()["region_id"] == district
