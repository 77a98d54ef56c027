"""Hostile input is answered where it enters, for every route: NUL and lone surrogates, deep and
malformed JSON, the wrong media type, implausible date-times, ids beyond the column, fractional
integers, and non-global webhook addresses. Each answer is a 4xx problem naming what is wrong."""

import io

import pytest
from sqlalchemy import func, select

from backend.extensions import db
from backend.models import Order, WebhookDelivery
from backend.webhooks.signing import UnsafeURL, check_url
from tests.integration.orders.helpers import API, CONSOLE, create, order_body, run_jobs

PROBLEM = "application/problem+json"


def assert_problem(response, status, field=None, location=None):
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["detail"]
    if field is not None:
        named = {(e["field"], e["location"]) for e in body["errors"]}
        assert (field, location) in named, named
    return body


def order_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count(Order.id)))


@pytest.mark.parametrize("text", ["splice\x00a fibre", "splice \ud800 fibre"])
def test_nul_and_lone_surrogates_in_a_body_are_422_naming_the_field(app, client, world, text):
    response = client.post(f"{API}/orders", headers=world["x1_admin"], json=order_body(description=text))
    assert_problem(response, 422, "description", "json")
    nested = order_body(skills=[{"code": text, "min_level": 1}])
    assert_problem(client.post(f"{API}/orders", headers=world["x1_admin"], json=nested), 422, "skills.0.code", "json")
    assert order_count(app) == 0


def test_nul_in_a_query_string_is_422_naming_the_parameter(client, world):
    response = client.get(f"{API}/orders?status=new%00", headers=world["x1_admin"])
    assert_problem(response, 422, "status", "query")


def test_nul_in_a_form_field_of_an_upload_is_422(client, world):
    data = {"file": (io.BytesIO(b"code\n"), "orders\x00.csv")}
    response = client.post(f"{API}/orders/import", headers=world["x1_admin"], data=data)
    assert_problem(response, 422, "file", "files")


def test_nul_in_a_csv_cell_is_422_naming_row_and_column(app, client, world):
    csv_text = "client_ref,kind,site_code,role,work_type,description\nR1,dispatch,X1-SITE,repair,fibre,cut\x00fibre\n"
    data = {"file": (io.BytesIO(csv_text.encode()), "orders.csv")}
    body = assert_problem(client.post(f"{API}/orders/import", headers=world["x1_admin"], data=data), 422)
    assert body["errors"] == [
        {"location": "files", "field": "description", "message": "text must not contain NUL characters", "row": 0}
    ]
    sites = "code,name,site_type,lon,lat\nS\x001,Tower,tower,104.05,30.65\n"
    upload = {"file": (io.BytesIO(sites.encode()), "sites.csv")}
    response = client.post(f"{API}/sites/import", headers=world["x1_admin"], data=upload)
    assert assert_problem(response, 422, "code", "files")["errors"][0]["row"] == 1
    assert order_count(app) == 0


def test_json_nested_100000_levels_is_a_400_problem(client, world):
    deep = "[" * 100_000 + "]" * 100_000
    headers = {**world["x1_admin"], "Content-Type": "application/json"}
    body = assert_problem(client.post(f"{API}/orders", headers=headers, data=deep), 400)
    assert "nested deeper than" in body["detail"]
    geojson = '{"type": "FeatureCollection", "features": ' + deep + "}"
    upload = {"file": (io.BytesIO(geojson.encode()), "sites.geojson")}
    assert_problem(client.post(f"{API}/sites/import", headers=world["x1_admin"], data=upload), 422)


def test_malformed_json_is_a_400_naming_line_and_column(client, world):
    headers = {**world["x1_admin"], "Content-Type": "application/json"}
    body = assert_problem(client.post(f"{API}/orders", headers=headers, data='{\n  "kind": "dispatch",,\n}'), 400)
    assert body["detail"].startswith("invalid JSON at line 2 column 22")


def test_json_sent_as_text_plain_is_415(client, world):
    headers = {**world["x1_admin"], "Content-Type": "text/plain"}
    import json

    body = assert_problem(client.post(f"{API}/orders", headers=headers, data=json.dumps(order_body())), 415)
    assert body["type"].endswith("unsupported-media-type")


@pytest.mark.parametrize(
    "value,message",
    [
        ("2030-01-01T00:00:00+16:00", "offset"),
        ("2030-01-01T00:00:00-23:59", "offset"),
        ("9999-12-31T23:59:59+00:00", "year"),
        ("0001-01-01T00:00:00+00:00", "year"),
    ],
)
def test_implausible_date_times_are_422_naming_the_parameter(client, world, value, message):
    from urllib.parse import quote

    response = client.get(f"{API}/orders?created_from={quote(value)}", headers=world["x1_admin"])
    body = assert_problem(response, 422, "created_from", "query")
    assert message in body["errors"][0]["message"]
    response = client.post(f"{API}/orders", headers=world["x1_admin"], json=order_body(sla_deadline=value))
    assert_problem(response, 422, "sla_deadline", "json")


def test_ids_beyond_the_column_are_404_in_paths_and_422_elsewhere(client, world):
    assert_problem(client.get(f"{API}/orders/2147483648", headers=world["x1_admin"]), 404)
    assert_problem(client.get(f"{API}/orders/99999999999999999999999", headers=world["x1_admin"]), 404)
    assert_problem(client.post(f"{API}/orders/2147483648/cancel", headers=world["x1_admin"], json={"reason": "r"}), 404)
    assert_problem(client.patch(f"{API}/sites/2147483648", headers=world["x1_admin"], json={"name": "n"}), 404)
    order = create(client, world["x1_admin"])
    too_big = {"technician_id": 2**31}
    response = client.post(f"{CONSOLE}/orders/{order['id']}/assign", headers=world["dispatcher"], json=too_big)
    assert_problem(response, 422, "technician_id", "json")
    response = client.post(
        f"{CONSOLE}/orders/{order['id']}/assign", headers=world["dispatcher"], json={"technician_id": 2**70}
    )
    assert_problem(response, 422, "technician_id", "json")
    assert_problem(client.get(f"{API}/orders?site_id={2**40}", headers=world["x1_admin"]), 422, "site_id", "query")


@pytest.mark.parametrize("value", [1.5, 60.0, True, "1.5"])
def test_integers_must_be_integers(app, client, world, value):
    response = client.post(f"{API}/orders", headers=world["x1_admin"], json=order_body(standard_duration_min=value))
    assert_problem(response, 422, "standard_duration_min", "json")
    assert order_count(app) == 0


@pytest.mark.parametrize(
    "url", ["http://100.100.100.200/latest/meta-data", "http://100.64.0.1/", "http://[64:ff9b::a9fe:a9fe]/"]
)
def test_non_global_webhook_addresses_are_refused_at_registration(app, client, world, monkeypatch, url):
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    response = client.post(f"{API}/webhook-endpoints", headers=world["x_admin"], json={"url": url, "events": ["*"]})
    assert_problem(response, 422, "url", "json")
    with pytest.raises(UnsafeURL):
        check_url(url, allow_private=False)


def test_a_cgnat_webhook_address_is_refused_again_at_send_time(app, client, world, monkeypatch):
    # Registered while allowed (as a development machine would), then sent with the guard on.
    endpoint = {"url": "http://100.100.100.200/hook", "events": ["order.created"]}
    assert client.post(f"{API}/webhook-endpoints", headers=world["x1_admin"], json=endpoint).status_code == 201
    monkeypatch.setitem(app.config, "WEBHOOKS_ALLOW_PRIVATE", False)
    create(client, world["x1_admin"])
    run_jobs(app, "webhooks")
    with app.app_context():
        assert "non-public address (100.100.100.200)" in db.session.scalar(select(WebhookDelivery.last_error))


@pytest.mark.parametrize("client_id", ["fix\x001", "fix\ud8001"])
def test_a_socket_fix_id_with_nul_or_a_surrogate_is_rejected_not_stored(client_id):
    # Socket.IO payloads bypass the HTTP guard; one such id would make PostgreSQL refuse the
    # writer's whole batch.
    from backend.tracking.ingest import parse_fix

    assert parse_fix({"id": client_id, "time": 1_800_000_000, "lon": 104.05, "lat": 30.65}).startswith("id:")
