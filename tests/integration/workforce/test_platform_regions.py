"""The platform regions a technician may ask to serve: listed for the app's picker without
geometry, cities first; a client's own regions are never listed (and cannot be asked for)."""

MOBILE = "/api/mobile/v1"
CITY = (104.00, 30.60, 104.20, 30.80)
DISTRICT = (104.00, 30.60, 104.10, 30.80)


def test_a_technician_sees_platform_regions_only_and_may_ask_for_one(client, factory, register):
    headers, _ = register()
    city = factory.region(CITY, code="CITY")
    district = factory.region(DISTRICT, level="district", parent_id=city, code="A")
    grid = factory.region(DISTRICT, level="grid", parent_id=district, code="G1")
    private = factory.region(DISTRICT, level="district", org_id=factory.org(), code="OWN")

    listed = client.get(f"{MOBILE}/regions", headers=headers)
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert [(r["id"], r["level"], r["parent_id"]) for r in items] == [
        (city, "city", None),
        (district, "district", city),
        (grid, "grid", district),
    ]
    assert "geometry" not in items[0]
    districts = client.get(f"{MOBILE}/regions?level=district", headers=headers).get_json()["items"]
    assert [r["id"] for r in districts] == [district]
    bad = client.get(f"{MOBILE}/regions?level=street", headers=headers)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "level"

    asked = client.post(f"{MOBILE}/me/region-requests", headers=headers, json={"region_id": district})
    assert asked.status_code == 201 and asked.get_json()["regions"] == [{"region_id": district, "state": "requested"}]
    hidden = client.post(f"{MOBILE}/me/region-requests", headers=headers, json={"region_id": private})
    assert hidden.status_code == 404


def test_the_region_list_needs_a_signed_in_technician(client):
    assert client.get(f"{MOBILE}/regions").status_code == 401
