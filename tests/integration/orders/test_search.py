"""Order search: one set of filters for the client API and the console (several states given
either way, kind, region with everything inside, SLA breached or at risk)."""

from datetime import UTC, timedelta

from backend.models.base import utcnow
from tests.integration.orders.helpers import API, CONSOLE, create


def _iso(moment):
    return moment.astimezone(UTC).isoformat()


def _ids(client, headers, path):
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return [o["id"] for o in response.get_json()["items"]]


def test_the_console_filters_by_several_states_given_as_repeated_parameters(client, world):
    draft = create(client, world["x1_admin"])["id"]
    published = create(client, world["x1_admin"], publish=True)["id"]
    cancelled = create(client, world["x1_admin"])["id"]
    client.post(f"{API}/orders/{cancelled}/cancel", headers=world["x1_admin"], json={"reason": "not needed"})
    staff = world["dispatcher"]

    both = _ids(client, staff, f"{CONSOLE}/orders?status=created&status=published&region_id={world['a']}")
    assert both == [draft, published]
    assert _ids(client, staff, f"{CONSOLE}/orders?status=created,cancelled&region_id={world['a']}") == [
        draft,
        cancelled,
    ]
    assert _ids(client, staff, f"{CONSOLE}/orders?status=published&region_id={world['a']}") == [published]
    bad = client.get(f"{CONSOLE}/orders?status=created&status=nonsense", headers=staff)
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "status.1"


def test_the_client_api_takes_repeated_states_too(client, world):
    draft = create(client, world["x1_admin"])["id"]
    published = create(client, world["x1_admin"], publish=True)["id"]
    assert _ids(client, world["x1_admin"], f"{API}/orders?status=created&status=published") == [draft, published]


def test_sla_at_risk_lists_orders_due_soon_and_not_yet_delivered(client, world):
    soon = create(
        client, world["x1_admin"], sla_deadline=(utcnow() + timedelta(minutes=30)).astimezone(UTC).isoformat()
    )
    later = create(client, world["x1_admin"], sla_deadline=(utcnow() + timedelta(days=2)).isoformat())
    no_sla = create(client, world["x1_admin"])
    region = world["a"]

    assert _ids(client, world["x1_admin"], f"{API}/orders?sla_at_risk=true") == [soon["id"]]
    assert _ids(client, world["x1_admin"], f"{API}/orders?sla_at_risk=false") == [later["id"], no_sla["id"]]
    console = _ids(client, world["dispatcher"], f"{CONSOLE}/orders?sla_at_risk=true&region_id={region}")
    assert console == [soon["id"]]


def test_the_console_applies_the_same_kind_and_date_filters(client, world):
    dispatch = create(client, world["x1_admin"])["id"]
    checkin = create(client, world["x1_admin"], kind="checkin")["id"]
    staff = world["dispatcher"]
    assert _ids(client, staff, f"{CONSOLE}/orders?kind=checkin&region_id={world['a']}") == [checkin]
    assert _ids(client, staff, f"{CONSOLE}/orders?created_from=2099-01-01T00:00:00Z") == []
    assert dispatch in _ids(client, staff, f"{CONSOLE}/orders?kind=dispatch&org_id={world['x1']}")
