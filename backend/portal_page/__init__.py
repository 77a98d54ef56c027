"""The client portal: GET /portal serves one page for a client's people (client admins and users).
It signs in against the public client API (/api/v1) and uses nothing else, so it sees exactly
what the API lets that person see (their organization and its sub-accounts). Text comes from
the catalogues in static/i18n (Simplified Chinese by default, English on request)."""

from flask import Blueprint, current_app, render_template

from backend.accounts.auth import public
from backend.console_page import STATIC

page = Blueprint(
    "portal_page", __name__, template_folder="templates", static_folder=str(STATIC), static_url_path="/portal/static"
)


@page.get("/portal")
@public
def portal_page():
    """The client portal (sign-in happens on the page)."""
    return render_template("portal.html", tile_url=current_app.config["CONSOLE_TILE_URL"])


def init_app(app):
    app.register_blueprint(page)
