import io
import json

import pytest

from geo.coords import wgs84_to_bd09, wgs84_to_gcj02
from geo.distance import haversine_m


@pytest.fixture
def nested(factory):
    """City 0.2° square; a district in its west half; a grid in the district's south-west."""
    city = factory.region((104.0, 30.6, 104.2, 30.8), level="city")
    district = factory.region((104.0, 30.6, 104.1, 30.8), level="district", parent_id=city)
    grid = factory.region((104.0, 30.6, 104.05, 30.65), level="grid", parent_id=district)
    return {"city": city, "district": district, "grid": grid}


@pytest.fixture
def owner(factory):
    org = factory.org()
    return {"org": org, "headers": factory.headers(factory.user("client_admin", org))}


def post_site(client, headers, location, code="S1", **extra):
    body = {"code": code, "name": "site", "site_type": "tower", "location": location, **extra}
    return client.post("/api/v1/sites", headers=headers, json=body)


@pytest.mark.parametrize(
    ("point", "expected"),
    [
        ((104.02, 30.62), "grid"),
        ((104.07, 30.75), "district"),
        ((104.15, 30.75), "city"),
        ((104.05, 30.63), "grid"),  # on the grid's east border: covered, so the grid
        ((104.1, 30.7), "district"),  # on the district/city border
        ((104.0, 30.6), "grid"),  # the shared corner of all three
        ((104.3, 30.7), None),  # outside every region
    ],
)
def test_site_goes_to_the_smallest_covering_region(client, nested, owner, point, expected):
    response = post_site(client, owner["headers"], list(point))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["region_id"] == (nested[expected] if expected else None)


def test_client_owned_region_places_only_that_clients_sites(client, factory, nested, owner):
    other = factory.org()
    factory.region((104.01, 30.61, 104.03, 30.63), level="grid", parent_id=nested["district"], org_id=other)
    mine = post_site(client, owner["headers"], [104.02, 30.62]).get_json()
    assert mine["region_id"] == nested["grid"], "another client's private grid does not capture my site"


@pytest.mark.parametrize(("coord_sys", "convert"), [("gcj02", wgs84_to_gcj02), ("bd09", wgs84_to_bd09)])
def test_chinese_datums_are_stored_as_wgs84(client, owner, coord_sys, convert):
    truth = (104.0657, 30.6570)
    response = post_site(client, owner["headers"], list(convert(*truth)), coord_sys=coord_sys)
    assert response.status_code == 201
    assert haversine_m(*response.get_json()["location"]["coordinates"], *truth) < 2.0


@pytest.mark.parametrize(
    ("location", "coord_sys", "field"),
    [
        ([190, 30], "wgs84", "location"),
        ([104, 91], "wgs84", "location"),
        ([104, 30], "utm", "coord_sys"),
        ("here", "wgs84", "location"),
    ],
)
def test_bad_location_is_422_and_nothing_stored(client, owner, location, coord_sys, field):
    response = post_site(client, owner["headers"], location, coord_sys=coord_sys)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["field"].startswith(field)
    assert client.get("/api/v1/sites", headers=owner["headers"]).get_json()["items"] == []


def test_duplicate_code_is_409(client, owner):
    assert post_site(client, owner["headers"], [104.0, 30.6]).status_code == 201
    assert post_site(client, owner["headers"], [104.0, 30.6]).status_code == 409


def upload(client, headers, name, text):
    data = {"file": (io.BytesIO(text.encode()), name)}
    return client.post("/api/v1/sites/import", headers=headers, data=data, content_type="multipart/form-data")


def test_csv_import_places_every_site(client, nested, owner):
    csv_text = (
        "code,name,site_type,lon,lat,coord_sys\nA1,一号站,tower,104.02,30.62,wgs84\nA2,二号站,rooftop,104.15,30.75,\n"
    )
    response = upload(client, owner["headers"], "sites.csv", csv_text)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["created"] == 2 and body["placed"] == 2
    assert [s["region_id"] for s in body["items"]] == [nested["grid"], nested["city"]]


def test_csv_with_broken_rows_stores_nothing_and_names_each_row(client, owner):
    csv_text = (
        "code,name,site_type,lon,lat\n"
        "B1,ok,tower,104.02,30.62\n"
        "B2,bad lon,tower,204.02,30.62\n"
        "B3,bad type,spaceship,104.02,30.62\n"
        "B1,dup,tower,104.02,30.62\n"
        "B5,no lat,tower,104.02,\n"
    )
    response = upload(client, owner["headers"], "sites.csv", csv_text)
    assert response.status_code == 422
    errors = {(e["row"], e["field"]) for e in response.get_json()["errors"]}
    assert {(2, "location"), (3, "site_type"), (4, "code"), (5, "location")} <= errors
    assert 1 not in {row for row, _ in errors}
    assert client.get("/api/v1/sites", headers=owner["headers"]).get_json()["items"] == []


def test_csv_missing_columns_is_422(client, owner):
    response = upload(client, owner["headers"], "sites.csv", "code,name\nX,y\n")
    assert response.status_code == 422 and "lon" in response.get_json()["detail"]


def test_geojson_import(client, nested, owner):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [104.02, 30.62]},
            "properties": {"code": "G1", "name": "g", "site_type": "indoor"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [104.07, 30.75]},
            "properties": {"code": "G2", "name": "g", "site_type": "cabinet"},
        },
    ]
    response = upload(
        client, owner["headers"], "sites.geojson", json.dumps({"type": "FeatureCollection", "features": features})
    )
    assert response.status_code == 201, response.get_json()
    assert [s["region_id"] for s in response.get_json()["items"]] == [nested["grid"], nested["district"]]


def test_geojson_import_with_a_bad_feature_stores_nothing(client, owner):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [104.02, 30.62]},
            "properties": {"code": "G1", "name": "g", "site_type": "indoor"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [104.02]},
            "properties": {"code": "G2", "name": "g", "site_type": "indoor"},
        },
    ]
    response = upload(
        client, owner["headers"], "sites.geojson", json.dumps({"type": "FeatureCollection", "features": features})
    )
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["row"] == 2
    assert client.get("/api/v1/sites", headers=owner["headers"]).get_json()["items"] == []


def test_cursor_pagination_walks_every_site_once(client, owner, factory):
    for i in range(7):
        factory.site(owner["org"], (104.0 + i / 100, 30.6), code=f"P{i}")
    seen, cursor = [], None
    while True:
        url = "/api/v1/sites?limit=3" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=owner["headers"]).get_json()
        seen += [s["code"] for s in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"P{i}" for i in range(7)]
    assert client.get("/api/v1/sites?cursor=garbage", headers=owner["headers"]).status_code == 422
