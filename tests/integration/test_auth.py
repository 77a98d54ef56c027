from tests.factories import PASSWORD


def login(client, email, password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"email": email, "password": password})


def test_login_refresh_and_logout(client, factory):
    factory.user("client_admin", email="ops@example.test")
    tokens = login(client, "OPS@example.test").get_json()
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200 and me.get_json()["email"] == "ops@example.test"

    refreshed = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert refreshed.status_code == 200

    access = refreshed.get_json()["access_token"]
    assert client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {access}"}).status_code == 204
    assert client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {access}"}).status_code == 401
    again = client.post("/api/v1/auth/refresh", headers={"Authorization": f"Bearer {tokens['refresh_token']}"})
    assert again.status_code == 401, "a used refresh token is revoked (and its family with it: test_auth_contract)"


def test_wrong_password_and_unknown_email_answer_alike(client, factory):
    factory.user("client_admin", email="ops@example.test")
    wrong = login(client, "ops@example.test", "not-the-password")
    unknown = login(client, "nobody@example.test")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["detail"] == unknown.get_json()["detail"]
    assert wrong.mimetype == "application/problem+json"


def test_login_is_rate_limited(client, factory):
    factory.user("client_admin", email="ops@example.test")
    codes = [login(client, "ops@example.test", "wrong-password").status_code for _ in range(11)]
    assert codes[:10] == [401] * 10
    assert codes[10] == 429


def test_deactivated_user_is_locked_out(client, factory):
    admin = factory.user("client_admin")
    headers = factory.headers(admin)
    with factory.app.app_context():
        from backend.extensions import db
        from backend.models import User

        db.session.get(User, admin).is_active = False
        db.session.commit()
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_api_key_is_shown_once_scoped_and_revocable(client, factory):
    admin = factory.user("client_admin")
    headers = factory.headers(admin)
    created = client.post(
        "/api/v1/api-keys", headers=headers, json={"name": "erp", "mode": "live", "scopes": ["sites:read"]}
    )
    assert created.status_code == 201
    key = created.get_json()["key"]
    assert key.startswith("gw_live_")

    listed = client.get("/api/v1/api-keys", headers=headers).get_json()["items"]
    assert "key" not in listed[0] and key.startswith(listed[0]["prefix"])

    with_key = {"X-API-Key": key}
    assert client.get("/api/v1/sites", headers=with_key).status_code == 200
    denied = client.post("/api/v1/sites", headers=with_key, json={})
    assert denied.status_code == 403 and "sites:write" in denied.get_json()["detail"]

    assert client.delete(f"/api/v1/api-keys/{created.get_json()['id']}", headers=headers).status_code == 200
    assert client.get("/api/v1/sites", headers=with_key).status_code == 401


def test_tampered_api_key_is_refused(client, factory):
    org = factory.org()
    key = factory.api_key(org)
    assert client.get("/api/v1/sites", headers={"X-API-Key": key[:-2] + "xx"}).status_code == 401
    assert (
        client.get("/api/v1/sites", headers={"Authorization": f"Bearer {key.replace('_test_', '_live_')}"}).status_code
        == 401
    )


def test_no_credentials_is_401_problem(client):
    response = client.get("/api/v1/sites")
    assert response.status_code == 401
    body = response.get_json()
    assert body["status"] == 401 and body["title"] == "Unauthorized" and "type" in body


def test_client_cannot_create_platform_staff(client, factory):
    headers = factory.as_role("client_admin")
    response = client.post(
        "/api/v1/users",
        headers=headers,
        json={"email": "x@example.test", "name": "X", "password": "long-enough-pw", "role": "platform_admin"},
    )
    assert response.status_code == 403


def test_technician_has_no_client_scopes(client, factory):
    headers = factory.as_role("technician")
    assert client.get("/api/v1/sites", headers=headers).status_code == 403
