"""The reference technician app (H5): GET /app serves a phone-first page that speaks only the
public mobile API (/api/mobile/v1) and the /technician Socket.IO namespace. Chinese first, with
an English switch. Scripts are our own plus the vendored socket.io client (no CDN)."""

from pathlib import Path

from flask import Blueprint, render_template, send_from_directory

from backend.accounts.auth import public

VENDOR = Path(__file__).resolve().parent.parent / "static" / "vendor"
page = Blueprint(
    "technician_app",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/app/static",
)


@page.get("/app")
@public
def app_page():
    """The technician app (sign-in happens on the page)."""
    return render_template("technician_app.html")


@page.get("/app/vendor/<path:filename>")
@public
def vendor(filename):
    """Vendored front-end libraries (copied from node_modules by scripts/setup.sh)."""
    return send_from_directory(VENDOR, filename, max_age=3600)


def init_app(app):
    app.register_blueprint(page)
