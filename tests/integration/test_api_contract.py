"""The API contract: /openapi.json is valid OpenAPI 3.1 and true. Schemathesis walks every
operation against the live web process (the Procfile's) as a client, a dispatcher and a
technician, and any 5xx, undocumented status or media type, or body off its schema fails."""

import os
import time
from collections import Counter

import pytest
import requests

PROBLEM = "application/problem+json"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "3"))  # per operation, role and mode
# Past this many seconds (a loaded machine), the remaining operations get one example each: every
# operation is still called, and the run stays within a few minutes.
BUDGET_S = float(os.environ.get("FUZZ_BUDGET_S", "120"))


@pytest.fixture
def spec(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_valid_openapi_3_1(spec):
    from openapi_spec_validator import validate

    assert spec["openapi"].startswith("3.1")
    validate(spec)
    coefficient = spec["components"]["schemas"]["RegionIn"]["properties"]["coefficient"]
    assert coefficient["maximum"] == 100 and coefficient["default"] == 1


def test_every_operation_documents_its_errors_as_problem_details(spec):
    orders = spec["paths"]["/api/v1/orders/{order_id}/cancel"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "415", "422"} <= set(orders)
    login = spec["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert {"401", "429"} <= set(login) and "403" not in login  # public sign-in, rate-limited
    assert "422" in spec["paths"]["/api/v1/orders"]["get"]["responses"]
    order_id = spec["paths"]["/api/v1/orders/{order_id}"]["get"]["parameters"][0]["schema"]
    assert order_id["maximum"] == 2**31 - 1
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert list(response["content"]) == [PROBLEM], (method, path, status)


def test_oversized_headers_answer_problem_details(live_server):
    for size in (10_000, 20_000):  # the app's limit, then gunicorn's own
        response = requests.get(f"{live_server}/healthz", headers={"X-Big": "x" * size}, timeout=10)
        assert response.status_code == 431, (size, response.text[:200])
        assert response.headers["Content-Type"].startswith(PROBLEM)
        assert response.json()["status"] == 431
    assert requests.get(f"{live_server}/healthz", headers={"X-Ok": "x" * 8000}, timeout=10).status_code in (200, 503)


@pytest.fixture
def fuzz_callers(factory):
    """A client admin (own organization), a dispatcher and a technician: fresh users per call, so
    whatever the fuzzer does to one (deactivate it, revoke its token) does not blind the rest."""
    import tests.factories as factories

    fast_hash = factories.hash_password(factories.PASSWORD)
    original, factories.hash_password = factories.hash_password, lambda _password: fast_hash
    org = factory.org("fuzz client")
    city = factory.region((104.0, 30.6, 104.2, 30.8), code="FUZZ-CITY")
    factory.site(org, (104.05, 30.65), code="FUZZ-SITE")
    makers = {
        "client": lambda: factory.as_role("client_admin", org),
        "dispatcher": lambda: factory.as_role("dispatcher"),
        "technician": lambda: factory.technician_headers(
            factory.technician(region_ids=[city], skills=[("fibre_splicing", 3)])
        ),
    }
    yield makers
    factories.hash_password = original


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(live_server, fuzz_callers):
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis.errors import Unsatisfiable
    from schemathesis import GenerationMode
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
    statuses = Counter()

    def fuzz(operation, headers, mode, examples):
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case):
            response = case.call_and_validate(headers=headers, checks=checks, timeout=30)
            statuses[response.status_code // 100 * 100] += 1

        run()

    schema = schemathesis.openapi.from_url(f"{live_server}/openapi.json")
    failures, started, runs = [], time.monotonic(), 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for role, make_headers in fuzz_callers.items():
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    over_budget = time.monotonic() - started > BUDGET_S
                    fuzz(operation, make_headers(), mode, 1 if over_budget else EXAMPLES)
                except Unsatisfiable:
                    pass  # nothing to send wrong (no parameters, no body)
                except (Exception, BaseExceptionGroup) as exc:  # all failures are reported at once
                    failures.append(f"{role} {mode} {operation.label}: {str(exc)[:1500]}")
                runs += 1
    elapsed = time.monotonic() - started
    print(f"schemathesis: {runs} runs in {elapsed:.0f} s, responses by class {dict(statuses)}")
    assert not failures, f"{len(failures)} failure(s):\n\n" + "\n\n".join(failures)
    assert statuses[200] > 50, f"too few successful calls to check their schemas: {dict(statuses)}"
