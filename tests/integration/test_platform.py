"""The service's own surface: OpenAPI, docs, errors, settings, deny-by-default."""

import pytest

from backend.config import ConfigError, load_settings

PUBLIC = {"/healthz", "/openapi.json", "/docs"}


def test_openapi_document_is_generated_from_the_schemas(client):
    spec = client.get("/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert {"/api/v1/sites", "/api/v1/sites/import", "/api/v1/regions", "/api/v1/api-keys"} <= set(spec["paths"])
    create_site = spec["paths"]["/api/v1/sites"]["post"]
    schema_ref = create_site["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert set(spec["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]["required"]) >= {"code", "location"}
    assert "BearerAuth" in spec["components"]["securitySchemes"]


def test_docs_page_is_served(client):
    response = client.get("/docs")
    assert response.status_code == 200 and b"openapi.json" in response.data


def test_every_api_route_denies_anonymous_callers(app, client):
    """Deny by default: no credentials means 401 before any validation or lookup."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.rule in PUBLIC or _public(rule.endpoint, app):
            continue
        url = rule.rule.replace("<int:", "<").replace("<", "").replace(">", "")
        url = "/".join("1" if part.isidentifier() and part.endswith("_id") else part for part in url.split("/"))
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            response = client.open(url, method=method, json={})
            assert response.status_code == 401, (method, rule.rule, response.status_code)
            checked += 1
    assert checked >= 15


def _public(endpoint, app):
    view = app.view_functions[endpoint]
    return getattr(view, "public", False)


def test_unknown_route_and_wrong_method_are_problem_json(client):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.mimetype == "application/problem+json"
    wrong = client.put("/healthz")
    assert wrong.status_code == 405 and wrong.get_json()["status"] == 405


def test_validation_errors_name_field_and_rule(client, factory):
    response = client.post(
        "/api/v1/sites", headers=factory.as_role("client_admin"), json={"code": "", "site_type": "x"}
    )
    body = response.get_json()
    assert response.status_code == 422 and body["type"].endswith("validation-error")
    fields = {e["field"] for e in body["errors"]}
    assert {"code", "name", "site_type", "location"} <= fields


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_settings("production")
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="32 characters"):
        load_settings("production")


def test_missing_database_url_names_the_variable(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(ConfigError, match="DATABASE_URL"):
        load_settings("development")


def test_health_is_503_when_redis_is_down(app, monkeypatch):
    from redis import Redis

    with app.app_context():
        monkeypatch.setitem(
            app.extensions, "redis", Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
        )
        response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["redis"]["ok"] is False
    assert response.get_json()["checks"]["database"]["ok"] is True
