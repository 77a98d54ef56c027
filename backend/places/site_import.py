"""Bulk site import from CSV or GeoJSON: every row is checked first, and either all
rows are stored or none, with each broken row named in the answer."""

import csv
import io

from marshmallow import ValidationError
from sqlalchemy import select

from backend.errors import ImportRejected, PlainProblem, field_error
from backend.extensions import db
from backend.models import Site
from backend.places.schemas import SiteIn
from backend.places.service import place_sites, set_site_location
from backend.request_guard import BadJSON, check_rows, parse_json
from geo.shapes import GeometryError, parse_point

MAX_ROWS = 20_000
CSV_COLUMNS = ("code", "name", "site_type", "lon", "lat")


def rows_from_upload(filename: str, raw: bytes) -> list[dict]:
    """Rows as SiteIn-shaped dicts; row numbers are 1-based data rows."""
    text = _decode(raw)
    rows = _rows_from_geojson(text) if filename.lower().endswith((".geojson", ".json")) else _rows_from_csv(text)
    check_rows(rows)  # NUL characters and lone surrogates, named by row and column
    return rows


def import_sites(rows: list[dict], org_id: int) -> list[Site]:
    if not rows:
        raise PlainProblem("the file has no rows", errors=[field_error("file", "no data rows", "files")])
    if len(rows) > MAX_ROWS:
        raise PlainProblem(
            f"at most {MAX_ROWS} rows per import", errors=[field_error("file", "too many rows", "files")]
        )
    checked, errors = _check_rows(rows, org_id)
    if errors:
        raise ImportRejected(f"{len(errors)} problem(s) in the file; nothing was imported", errors=errors)
    sites = [_new_site(data, lon_lat, org_id) for data, lon_lat in checked]
    db.session.add_all(sites)
    db.session.flush()
    place_sites([s.id for s in sites], org_id)
    return sites


def _check_rows(rows, org_id):
    schema = SiteIn()
    taken = set(db.session.scalars(select(Site.code).where(Site.org_id == org_id)))
    seen, checked, errors = {}, [], []
    for number, row in enumerate(rows, start=1):
        row_errors, result = _check_row(schema, number, row)
        code = (result or row).get("code")
        if code in taken:
            row_errors.append(_row_error(number, "code", f"site code {code!r} already exists"))
        elif code and code in seen:
            row_errors.append(_row_error(number, "code", f"duplicate of row {seen[code]}"))
        seen.setdefault(code, number)
        errors.extend(row_errors)
        if not row_errors:
            checked.append(result["parsed"])
    return checked, errors


def _check_row(schema, number, row):
    try:
        data = schema.load({k: v for k, v in row.items() if v not in ("", None) and k != "org_id"})
    except ValidationError as exc:
        return [_row_error(number, f, "; ".join(_messages(m))) for f, m in exc.messages.items()], None
    try:
        lon_lat = parse_point(data["location"], coord_sys=data["coord_sys"])
    except GeometryError as exc:
        return [_row_error(number, "location", exc.message)], None
    return [], {"code": data["code"], "parsed": (data, lon_lat)}


def _messages(m):
    if isinstance(m, dict):
        return [f"{k}: {'; '.join(_messages(v))}" for k, v in m.items()]
    return [str(x) for x in m] if isinstance(m, list) else [str(m)]


def _row_error(number, field, message):
    return field_error(field, message, "files", row=number)


def _new_site(data, lon_lat, org_id):
    site = Site(
        org_id=org_id,
        code=data["code"],
        name=data["name"],
        site_type=data["site_type"],
        address=data.get("address"),
        geofence_radius_m=data.get("geofence_radius_m"),
    )
    set_site_location(site, lon_lat)
    return site


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel in China often saves GB18030
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise PlainProblem(
        "the file is not UTF-8 or GB18030 text", errors=[field_error("file", "unreadable encoding", "files")]
    )


def _rows_from_csv(text):
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise PlainProblem(
            f"CSV header lacks: {', '.join(missing)}",
            errors=[field_error("file", f"missing column(s) {missing}", "files")],
        )
    rows = []
    for record in reader:
        row = {k: (v.strip() if isinstance(v, str) else v) for k, v in record.items() if k}
        row["location"] = [_number(row.pop("lon")), _number(row.pop("lat"))]
        rows.append(row)
    return rows


def _number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return value  # left as text so the row check names it


def _rows_from_geojson(text):
    try:
        document = parse_json(text)
    except BadJSON as exc:
        raise PlainProblem(f"not usable JSON: {exc}", errors=[field_error("file", "invalid JSON", "files")]) from exc
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise PlainProblem(
            "expected a GeoJSON FeatureCollection",
            errors=[field_error("file", "type must be FeatureCollection", "files")],
        )
    rows = []
    for feature in document.get("features") or []:
        props = dict((feature or {}).get("properties") or {})
        props["location"] = (feature or {}).get("geometry")
        rows.append(props)
    return rows
