def test_healthz_reports_postgis_and_redis(client):
    response = client.get("/healthz")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["checks"]["database"]["postgis"].startswith("3.")
    assert body["checks"]["redis"]["ok"] is True
    assert set(body["checks"]["queues"]["depths"]) >= {"default", "dispatch"}
