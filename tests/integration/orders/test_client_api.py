"""The client order API: create one, batch (all or nothing, rows named), CSV, get, list with
filters and cursor, events, cancel; idempotency keys."""

import io

from tests.integration.orders.helpers import API, act, create, order_body


def test_create_places_the_order_by_its_site_and_records_the_event(client, world):
    order = create(client, world["x1_admin"], client_ref="A-1")
    assert order["status"] == "created" and order["region_id"] == world["a"]
    assert order["site_id"] == world["x1_site"] and order["org_id"] == world["x1"]
    assert order["skills"] == [{"code": "fibre_splicing", "min_level": 2}]
    assert order["allowed_transitions"] == ["cancelled", "expired", "published"]
    events = client.get(f"{API}/orders/{order['id']}/events", headers=world["x1_admin"]).get_json()["items"]
    assert [(e["action"], e["from_status"], e["to_status"]) for e in events] == [("created", None, "created")]


def test_a_point_order_is_placed_in_the_smallest_region_and_gcj02_is_converted(client, world):
    order = create(client, world["x1_admin"], site_code=None, location=[104.155, 30.652], coord_sys="gcj02")
    assert order["region_id"] == world["b"]
    lon, lat = order["location"]["coordinates"]
    assert abs(lon - 104.155) > 1e-4 and abs(lat - 30.652) > 1e-4, "stored as WGS-84, not as sent"


def test_invalid_orders_name_every_field(client, world):
    body = order_body(site_code="NOPE", role="astronaut", skills=[{"code": "juggling", "min_level": 2}])
    response = client.post(f"{API}/orders", headers=world["x1_admin"], json=body)
    assert response.status_code == 422
    fields = {e["field"] for e in response.get_json()["errors"]}
    assert fields == {"site_code", "role", "skills.0.code"}
    no_place = client.post(f"{API}/orders", headers=world["x1_admin"], json=order_body(site_code=None))
    assert no_place.status_code == 422 and no_place.get_json()["errors"][0]["field"] == "site_code"


def test_a_sibling_site_cannot_be_used(client, world):
    response = client.post(f"{API}/orders", headers=world["x2_admin"], json=order_body(site_code="X1-SITE"))
    assert response.status_code == 422


def test_a_repeated_client_ref_is_a_conflict(client, world):
    create(client, world["x1_admin"], client_ref="DUP")
    response = client.post(f"{API}/orders", headers=world["x1_admin"], json=order_body(client_ref="DUP"))
    assert response.status_code == 409


def test_batch_is_all_or_nothing_and_names_the_bad_rows(client, world):
    good = [order_body(client_ref=f"B-{i}") for i in range(5)]
    bad = [*good[:2], order_body(client_ref="B-x", kind="teleport"), order_body(client_ref="B-y", site_code="NOPE")]
    response = client.post(f"{API}/orders/batch", headers=world["x1_admin"], json={"orders": bad})
    assert response.status_code == 422
    assert sorted({e["row"] for e in response.get_json()["errors"]}) == [2]  # schema errors first
    response = client.post(f"{API}/orders/batch", headers=world["x1_admin"], json={"orders": [*good[:3], bad[3]]})
    assert response.status_code == 422 and {e["row"] for e in response.get_json()["errors"]} == {3}
    assert client.get(f"{API}/orders", headers=world["x1_admin"]).get_json()["items"] == []
    response = client.post(f"{API}/orders/batch", headers=world["x1_admin"], json={"orders": good})
    assert response.status_code == 201 and response.get_json()["created"] == 5


def test_batch_of_a_thousand(client, world):
    orders = [order_body(client_ref=f"K-{i}") for i in range(1000)]
    response = client.post(f"{API}/orders/batch", headers=world["x1_admin"], json={"orders": orders})
    assert response.status_code == 201 and response.get_json()["created"] == 1000
    too_many = client.post(f"{API}/orders/batch", headers=world["x1_admin"], json={"orders": orders + orders[:1]})
    assert too_many.status_code == 422


CSV = """client_ref,kind,work_type,site_code,lon,lat,coord_sys,role,skills,priority,window_start,window_end
C-1,dispatch,fibre_repair,X1-SITE,,,,repair,fibre_splicing:2,high,2030-01-01T01:00:00Z,2030-01-01T05:00:00Z
C-2,checkin,inspection,,104.15,30.65,wgs84,,,normal,,
C-3,project,design,,,,,,,low,,
"""


def test_csv_import(client, world):
    upload = {"file": (io.BytesIO(CSV.encode()), "orders.csv")}
    response = client.post(f"{API}/orders/import", headers=world["x1_admin"], data=upload)
    assert response.status_code == 201, response.get_json()
    items = response.get_json()["items"]
    assert [o["client_ref"] for o in items] == ["C-1", "C-2", "C-3"]
    assert items[0]["time_windows"][0]["end"].startswith("2030-01-01T05:00")
    assert items[1]["region_id"] == world["b"] and items[2]["region_id"] is None
    broken = CSV.replace("C-2,checkin", "C-2,nonsense").replace("C-1,", "C-9,")
    response = client.post(
        f"{API}/orders/import", headers=world["x1_admin"], data={"file": (io.BytesIO(broken.encode()), "o.csv")}
    )
    assert response.status_code == 422 and response.get_json()["errors"][0]["row"] == 1


def test_list_filters_and_cursor(client, world):
    ids = [create(client, world["x1_admin"], kind="checkin" if i % 2 else "dispatch")["id"] for i in range(5)]
    create(client, world["x1_admin"], site_code="X1-SITE-B")
    page = client.get(f"{API}/orders?limit=2", headers=world["x1_admin"]).get_json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = client.get(f"{API}/orders?limit=10&cursor={page['next_cursor']}", headers=world["x1_admin"]).get_json()
    assert len(rest["items"]) == 4 and rest["next_cursor"] is None
    kinds = client.get(f"{API}/orders?kind=checkin", headers=world["x1_admin"]).get_json()["items"]
    assert [o["id"] for o in kinds] == ids[1::2]
    in_b = client.get(f"{API}/orders?region_id={world['b']}", headers=world["x1_admin"]).get_json()["items"]
    assert len(in_b) == 1
    in_city = client.get(f"{API}/orders?region_id={world['city']}", headers=world["x1_admin"]).get_json()["items"]
    assert len(in_city) == 6, "a region filter includes the regions inside it"
    by_site = client.get(f"{API}/orders?site_id={world['x1_site']}&status=created", headers=world["x1_admin"])
    assert len(by_site.get_json()["items"]) == 5
    future = client.get(f"{API}/orders?created_from=2099-01-01T00:00:00Z", headers=world["x1_admin"])
    assert future.get_json()["items"] == []


def test_list_filters_by_several_states(client, world):
    drafts = [create(client, world["x1_admin"])["id"] for _ in range(2)]
    published = create(client, world["x1_admin"], publish=True)["id"]
    cancelled = create(client, world["x1_admin"])["id"]
    client.post(f"{API}/orders/{cancelled}/cancel", headers=world["x1_admin"], json={"reason": "not needed"})

    def ids(status):
        items = client.get(f"{API}/orders?status={status}", headers=world["x1_admin"]).get_json()["items"]
        return [o["id"] for o in items]

    assert ids("published") == [published]
    assert ids("created,published") == [*drafts, published]
    bad = client.get(f"{API}/orders?status=published,nonsense", headers=world["x1_admin"])
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "status.1"  # the second state


def test_cancel_needs_a_reason_and_an_allowed_state(client, world):
    order = create(client, world["x1_admin"])
    url = f"{API}/orders/{order['id']}/cancel"
    assert client.post(url, headers=world["x1_admin"], json={}).status_code == 422
    cancelled = act(client, world["x1_admin"], url, reason="duplicate ticket")
    assert cancelled["status"] == "cancelled" and cancelled["allowed_transitions"] == []
    again = client.post(url, headers=world["x1_admin"], json={"reason": "again"})
    assert again.status_code == 409 and again.get_json()["allowed"] == []
    events = client.get(f"{API}/orders/{order['id']}/events", headers=world["x1_admin"]).get_json()["items"]
    assert events[-1]["reason"] == "duplicate ticket" and events[-1]["from_status"] == "created"
    assert events[-1]["actor_kind"] == "user"


def test_idempotency_replays_the_first_answer_and_refuses_another_body(client, world):
    headers = {**world["x1_admin"], "Idempotency-Key": "key-1"}
    body = order_body(client_ref="IDEM-1")
    first = client.post(f"{API}/orders", headers=headers, json=body)
    second = client.post(f"{API}/orders", headers=headers, json=body)
    assert first.status_code == second.status_code == 201
    assert first.get_json() == second.get_json() and second.headers["Idempotent-Replayed"] == "true"
    other = client.post(f"{API}/orders", headers=headers, json={**body, "priority": "urgent"})
    assert other.status_code == 422
    assert len(client.get(f"{API}/orders", headers=world["x1_admin"]).get_json()["items"]) == 1


def test_a_failed_request_does_not_burn_its_key(client, world):
    headers = {**world["x1_admin"], "Idempotency-Key": "key-2"}
    bad = client.post(f"{API}/orders", headers=headers, json=order_body(site_code="NOPE"))
    assert bad.status_code == 422
    good = client.post(f"{API}/orders", headers=headers, json=order_body(site_code="NOPE"))
    assert good.status_code == 422, "a 4xx stores nothing, so the retry is evaluated again"


def test_keys_are_per_client(client, world):
    body = order_body(client_ref="SAME")
    a = client.post(f"{API}/orders", headers={**world["x1_admin"], "Idempotency-Key": "k"}, json=body)
    b = client.post(
        f"{API}/orders", headers={**world["y_admin"], "Idempotency-Key": "k"}, json={**body, "site_code": "Y-SITE"}
    )
    assert a.status_code == b.status_code == 201 and a.get_json()["id"] != b.get_json()["id"]


def test_concurrent_creates_of_one_client_ref_make_one_order(app, world):
    import threading

    results, barrier = [], threading.Barrier(8)
    body = order_body(client_ref="RACE-REF")

    def post(key):
        barrier.wait()
        with app.test_client() as c:
            results.append(c.post(f"{API}/orders", headers={**world["x1_admin"], "Idempotency-Key": key}, json=body))

    threads = [threading.Thread(target=post, args=(f"k{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r.status_code for r in results) == [201] + [409] * 7, [r.get_json() for r in results]
