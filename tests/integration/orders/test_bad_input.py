"""Malformed input to every order, webhook and mobile route is a 4xx problem, never a 5xx,
and names the field."""

import pytest

from tests.integration.orders.helpers import API, CONSOLE, MOBILE, create, order_body

JUNK = [None, "text", 12, [], {}, {"location": "nowhere"}, [1, 2, 3], {"a": {"b": [None]}}]
ORDER_FIELDS = {
    "location": ["x", [500, 10], {"type": "Point"}, [None, None], {"type": "Point", "coordinates": ["a", "b"]}],
    "time_windows": [
        [{"start": "2030-01-01T00:00:00", "end": "2030-01-01T01:00:00"}],
        [{"start": "2030-01-01T02:00:00Z", "end": "2030-01-01T01:00:00Z"}],
        ["x"],
        "x",
    ],
    "skills": [[{"code": "fibre_splicing", "min_level": 9}], [{"min_level": 1}], "fibre"],
    "sla_deadline": ["tomorrow", 5],
    "attachments": [["not-a-sha"], ["a" * 64]],
    "status": ["verified"],
    "points_centi": [10**9],
    "org_id": [-1, "x"],
    "region_id": [999999],
    "coord_sys": ["mars"],
}


def test_order_fields(client, world):
    for name, values in ORDER_FIELDS.items():
        for value in values:
            body = order_body(**{name: value})
            if name == "region_id":
                body.update(site_code=None, kind="project")
            if name == "location":
                body.update(site_code=None)
            response = client.post(f"{API}/orders", headers=world["x1_admin"], json=body)
            assert 400 <= response.status_code < 500, (name, value, response.get_json())
            assert response.mimetype == "application/problem+json"


@pytest.mark.parametrize("junk", JUNK)
def test_junk_bodies_everywhere(client, world, junk):
    order = create(client, world["x1_admin"])
    routes = [
        (API, "/orders", "x1_admin"),
        (API, "/orders/batch", "x1_admin"),
        (API, f"/orders/{order['id']}/cancel", "x1_admin"),
        (API, f"/orders/{order['id']}/accept", "x1_admin"),
        (API, f"/orders/{order['id']}/reject", "x1_admin"),
        (API, f"/orders/{order['id']}/rating", "x1_admin"),
        (API, "/webhook-endpoints", "x1_admin"),
        (CONSOLE, "/rate-cards", "admin"),
        (CONSOLE, f"/orders/{order['id']}/assign", "dispatcher"),
        (MOBILE, f"/orders/{order['id']}/check-in", "tech_a_h"),
        (MOBILE, f"/orders/{order['id']}/deliver", "tech_a_h"),
        (MOBILE, f"/orders/{order['id']}/decline", "tech_a_h"),
    ]
    for prefix, path, who in routes:
        response = client.post(f"{prefix}{path}", headers=world[who], json=junk)
        assert 400 <= response.status_code < 500, (path, junk, response.get_json())


def test_bad_queries(client, world):
    for query in ("status=nope", "limit=0", "cursor=%%%", "created_from=yesterday", "region_id=x"):
        assert client.get(f"{API}/orders?{query}", headers=world["x1_admin"]).status_code == 422, query
    for query in ("lon=500&lat=1", "lon=104&lat=30&coord_sys=mars"):
        assert client.get(f"{MOBILE}/orders?{query}", headers=world["tech_a_h"]).status_code == 422, query
