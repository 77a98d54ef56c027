"""Client A cannot list, read, change or infer client B's rows; B's ids answer 404
exactly like ids that do not exist, in every route that takes an id."""

import pytest

CITY = (104.0, 30.6, 104.1, 30.7)


@pytest.fixture
def world(factory):
    a = factory.org("A")
    a_child = factory.org("A city project", parent_id=a)
    b = factory.org("B")
    b_child = factory.org("B city project", parent_id=b)
    return {
        "a": a,
        "a_child": a_child,
        "b": b,
        "b_child": b_child,
        "a_admin": factory.headers(factory.user("client_admin", a)),
        "a_child_admin": factory.headers(factory.user("client_admin", a_child)),
        "b_user": factory.user("client_user", b),
        "b_key_id": None,
        "b_site": factory.site(b, (104.05, 30.65)),
        "b_child_site": factory.site(b_child, (104.06, 30.66)),
        "b_region": factory.region(CITY, org_id=b),
        "a_site": factory.site(a, (104.05, 30.65)),
        "shared_region": factory.region((103.9, 30.5, 104.2, 30.8), code="SHARED"),
        "b_api_key": factory.api_key(b),
    }


def _b_key_id(client, factory, world):
    b_admin = factory.headers(factory.user("client_admin", world["b"]))
    return client.post(
        "/api/v1/api-keys", headers=b_admin, json={"name": "b", "mode": "test", "scopes": ["sites:read"]}
    ).get_json()["id"]


def foreign_routes(world, b_key_id):
    site, region, user, org = world["b_site"], world["b_region"], world["b_user"], world["b"]
    return [
        ("get", f"/api/v1/sites/{site}", None),
        ("patch", f"/api/v1/sites/{site}", {"name": "mine now"}),
        ("get", f"/api/v1/sites/{world['b_child_site']}", None),
        ("get", f"/api/v1/regions/{region}", None),
        ("patch", f"/api/v1/regions/{region}", {"name": "mine now"}),
        ("get", f"/api/v1/users/{user}", None),
        ("patch", f"/api/v1/users/{user}", {"name": "mine now"}),
        ("get", f"/api/v1/organizations/{org}", None),
        ("delete", f"/api/v1/api-keys/{b_key_id}", None),
    ]


def test_foreign_ids_answer_like_missing_ones(client, factory, world):
    b_key_id = _b_key_id(client, factory, world)
    for method, url, body in foreign_routes(world, b_key_id):
        foreign = getattr(client, method)(url, headers=world["a_admin"], json=body)
        missing_url = url.rsplit("/", 1)[0] + "/999999"
        missing = getattr(client, method)(missing_url, headers=world["a_admin"], json=body)
        assert foreign.status_code == 404, (method, url, foreign.get_json())
        assert foreign.get_json()["detail"] == missing.get_json()["detail"], url


def test_lists_hold_only_own_rows(client, world):
    sites = client.get("/api/v1/sites", headers=world["a_admin"]).get_json()["items"]
    assert [s["id"] for s in sites] == [world["a_site"]]
    regions = client.get("/api/v1/regions", headers=world["a_admin"]).get_json()["features"]
    assert [r["id"] for r in regions] == [world["shared_region"]], "platform regions are shared, B's are not"
    users = client.get("/api/v1/users", headers=world["a_admin"]).get_json()["items"]
    assert world["b_user"] not in [u["id"] for u in users]
    orgs = client.get("/api/v1/organizations", headers=world["a_admin"]).get_json()["items"]
    assert {o["id"] for o in orgs} == {world["a"], world["a_child"]}


def test_filters_cannot_reach_another_tenant(client, world):
    by_org = client.get(f"/api/v1/sites?org_id={world['b']}", headers=world["a_admin"]).get_json()["items"]
    assert by_org == []


def test_sibling_sub_account_and_parent(client, factory, world):
    a_child_site = factory.site(world["a_child"], (104.07, 30.67))
    sibling = factory.headers(factory.user("client_admin", factory.org("A other project", parent_id=world["a"])))
    assert client.get(f"/api/v1/sites/{a_child_site}", headers=sibling).status_code == 404
    assert client.get(f"/api/v1/sites/{a_child_site}", headers=world["a_admin"]).status_code == 200, (
        "a parent sees its sub-accounts"
    )
    assert client.get(f"/api/v1/sites/{world['a_site']}", headers=world["a_child_admin"]).status_code == 404, (
        "a child does not see its parent"
    )


def test_cannot_create_into_another_tenant(client, world):
    body = {"code": "X1", "name": "x", "site_type": "tower", "location": [104.05, 30.65], "org_id": world["b"]}
    response = client.post("/api/v1/sites", headers=world["a_admin"], json=body)
    assert response.status_code == 404 and response.get_json()["errors"][0]["field"] == "org_id"
    sub = client.post("/api/v1/organizations", headers=world["a_admin"], json={"name": "x", "parent_id": world["b"]})
    assert sub.status_code == 404
    user = client.post(
        "/api/v1/users",
        headers=world["a_admin"],
        json={
            "email": "n@example.test",
            "name": "n",
            "password": "long-enough-pw",
            "role": "client_user",
            "org_id": world["b"],
        },
    )
    assert user.status_code == 404


def test_site_codes_do_not_leak_across_tenants(client, world):
    # B already has a site coded like A's new one; A must not learn that (no 409).
    body = {"code": "S-B-ONLY", "name": "x", "site_type": "tower", "location": [104.05, 30.65]}
    client_b_code = client.get(f"/api/v1/sites/{world['b_site']}", headers=world["a_admin"])
    assert client_b_code.status_code == 404
    assert client.post("/api/v1/sites", headers=world["a_admin"], json=body).status_code == 201


def test_api_key_sees_only_its_org(client, world):
    headers = {"X-API-Key": world["b_api_key"]}
    assert client.get(f"/api/v1/sites/{world['a_site']}", headers=headers).status_code == 404
    assert client.get(f"/api/v1/sites/{world['b_site']}", headers=headers).status_code == 200


def test_platform_staff_see_every_tenant(client, factory, world):
    dispatcher = factory.as_role("dispatcher")
    assert client.get(f"/api/v1/sites/{world['b_site']}", headers=dispatcher).status_code == 200
    assert client.get(f"/api/v1/regions/{world['b_region']}", headers=dispatcher).status_code == 200
