"""The /console page and its vendored assets are served by the app (no CDN)."""


def test_console_page_is_served_with_local_assets(client):
    page = client.get("/console")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Gridwork console" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert 'window.GRIDWORK = {tileUrl: ""}' in html  # no external tiles unless configured
    for path in (
        "/console/static/console/console.js",
        "/console/static/vendor/leaflet/leaflet.js",
        "/console/static/vendor/socket.io/socket.io.min.js",
    ):
        asset = client.get(path)
        assert asset.status_code == 200, path
        asset.close()
