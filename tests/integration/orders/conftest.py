"""Order fixtures: a city with districts A and B, clients X (with sibling sub-accounts X1, X2)
and Y, a site per client in district A, technicians in A and B, a dispatcher of the city and
one of district B."""

import pytest

from tests.integration.orders.helpers import dispatcher_of

CITY = (104.00, 30.60, 104.20, 30.80)
DISTRICT_A = (104.00, 30.60, 104.10, 30.80)
DISTRICT_B = (104.10, 30.60, 104.20, 30.80)
SITE_A = (104.05, 30.65)
SITE_B = (104.15, 30.65)
FIBRE = ("fibre_splicing", 3)


@pytest.fixture(autouse=True)
def _fast_passwords(monkeypatch):
    """Hash the factory's one password once (Argon2 is slow on purpose); undone after each test."""
    import tests.factories as factories

    if "hash" not in _CACHE:
        _CACHE["hash"] = factories.hash_password(factories.PASSWORD)
    monkeypatch.setattr(factories, "hash_password", lambda _password: _CACHE["hash"])


_CACHE = {}


@pytest.fixture
def world(factory):
    city = factory.region(CITY, code="CITY")
    a = factory.region(DISTRICT_A, level="district", parent_id=city, code="A", coefficient="1.200")
    b = factory.region(DISTRICT_B, level="district", parent_id=city, code="B")
    x = factory.org("X")
    x1, x2 = factory.org("X1", parent_id=x), factory.org("X2", parent_id=x)
    y = factory.org("Y")
    w = {
        "city": city,
        "a": a,
        "b": b,
        "x": x,
        "x1": x1,
        "x2": x2,
        "y": y,
        "x_admin": factory.as_role("client_admin", x),
        "x1_admin": factory.as_role("client_admin", x1),
        "x2_admin": factory.as_role("client_admin", x2),
        "y_admin": factory.as_role("client_admin", y),
        "dispatcher": dispatcher_of(factory, city),
        "dispatcher_b": dispatcher_of(factory, b),
        "admin": factory.as_role("platform_admin"),
        "x1_site": factory.site(x1, SITE_A, code="X1-SITE"),
        "x1_site_b": factory.site(x1, SITE_B, code="X1-SITE-B"),
        "y_site": factory.site(y, SITE_A, code="Y-SITE"),
    }
    w["tech_a"] = factory.technician(region_ids=[a], skills=[FIBRE])
    w["tech_b"] = factory.technician(region_ids=[b], skills=[FIBRE])
    w["tech_a_low"] = factory.technician(region_ids=[a], skills=[("fibre_splicing", 1)])
    w["tech_city"] = factory.technician(region_ids=[city], skills=[FIBRE], role="construction")
    for name in ("tech_a", "tech_b", "tech_a_low", "tech_city"):
        w[f"{name}_h"] = factory.technician_headers(w[name])
    return w
