"""The dispatcher's live map console: GET /console serves the page; it signs in against the
API, draws the map with the vendored Leaflet (no CDN; tiles only when CONSOLE_TILE_URL is
set) and listens on the /console Socket.IO namespace."""

from pathlib import Path

from flask import Blueprint, current_app, render_template

from backend.accounts.auth import public

STATIC = Path(__file__).resolve().parent.parent / "static"
page = Blueprint(
    "console_page", __name__, template_folder="templates", static_folder=str(STATIC), static_url_path="/console/static"
)


@page.get("/console")
@public
def console_page():
    """The live map console (sign-in happens on the page)."""
    return render_template("console.html", tile_url=current_app.config["CONSOLE_TILE_URL"])


def init_app(app):
    app.register_blueprint(page)
