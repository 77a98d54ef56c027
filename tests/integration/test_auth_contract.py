"""Every token error is an RFC 9457 problem with a 401 (never the JWT library's {"msg": …}), and a
rotated refresh token presented again revokes its whole family, the newest tokens included."""

import pytest

from tests.factories import PASSWORD

REFRESH, LOGOUT, ME = "/api/v1/auth/refresh", "/api/v1/auth/logout", "/api/v1/auth/me"


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tokens(client, factory):
    factory.user("client_admin", email="ops@example.test")
    response = client.post("/api/v1/auth/login", json={"email": "ops@example.test", "password": PASSWORD})
    return response.get_json()


def assert_401_problem(response):
    assert response.status_code == 401, response.get_json()
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert "msg" not in body and body["status"] == 401 and body["type"].endswith("unauthorized"), body
    return body


def test_missing_token_on_refresh_and_logout(client):
    assert "sign in" in assert_401_problem(client.post(REFRESH))["detail"]
    assert_401_problem(client.post(LOGOUT))


def test_an_access_token_sent_to_refresh(client, tokens):
    assert_401_problem(client.post(REFRESH, headers=bearer(tokens["access_token"])))


def test_garbage_and_revoked_tokens(client, tokens):
    assert_401_problem(client.post(REFRESH, headers=bearer("not.a.jwt")))
    assert client.post(LOGOUT, headers=bearer(tokens["refresh_token"])).status_code == 204
    assert "revoked" in assert_401_problem(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))["detail"]


def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(client, factory, tokens):
    newer = client.post(REFRESH, headers=bearer(tokens["refresh_token"])).get_json()
    assert client.get(ME, headers=bearer(newer["access_token"])).status_code == 200

    assert_401_problem(client.post(REFRESH, headers=bearer(tokens["refresh_token"])))  # the stolen copy

    assert_401_problem(client.post(REFRESH, headers=bearer(newer["refresh_token"])))
    assert_401_problem(client.get(ME, headers=bearer(newer["access_token"])))
    # Another sign-in of the same person is another family and keeps working.
    again = client.post("/api/v1/auth/login", json={"email": "ops@example.test", "password": PASSWORD}).get_json()
    assert client.post(REFRESH, headers=bearer(again["refresh_token"])).status_code == 200
