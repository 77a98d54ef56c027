"""Hostile input stopped where it enters, once for every route (a before-request hook).

- every header line at most MAX_HEADER_BYTES (431; gunicorn refuses beyond its own, larger limit);
- a route that takes a JSON body gets JSON: another media type is a 415, malformed JSON a 400
  naming line and column, nesting deeper than MAX_JSON_DEPTH a 400 (the parser would otherwise
  hit Python's recursion limit);
- text with a NUL character or a lone UTF-16 surrogate (PostgreSQL and UTF-8 refuse both) in a
  path segment, query string, form field or JSON string is a 422 naming the field. Imported files
  are checked with `check_rows` by the import code once it has parsed them.
Types, integer bounds and date ranges are the fields' business (backend/fields.py).
"""

import json

from flask import current_app, request

from backend.errors import ValidationFailed, fail, field_error

MAX_HEADER_BYTES = 8190  # one header line, name and value; gunicorn's own limit is 16 KiB
MAX_JSON_DEPTH = 64


class BadJSON(ValueError):
    """A JSON document that may not be used; the message says why and where."""


def init_app(app):
    app.before_request(guard)


def guard():
    _check_headers()
    _check_mapping(request.view_args or {}, "path")
    _check_mapping(request.args, "query")
    spec = getattr(current_app.view_functions.get(request.endpoint), "_spec", {})
    if not spec.get("body"):
        return
    if spec.get("content_type") == "application/json":
        _check_json_body()
    else:
        _check_mapping(request.form, "form")
        _check_mapping({name: upload.filename or "" for name, upload in request.files.items()}, "files")


def parse_json(data: bytes | str, max_depth: int = MAX_JSON_DEPTH):
    """Parse a JSON document; BadJSON says what is wrong (line and column, nesting, text)."""
    try:
        document = json.loads(data)
    except json.JSONDecodeError as exc:
        raise BadJSON(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except UnicodeDecodeError:
        raise BadJSON("invalid JSON: the body is not UTF-8") from None
    except RecursionError:
        raise BadJSON(f"JSON nested deeper than {max_depth} levels") from None
    if _depth_exceeds(document, max_depth):
        raise BadJSON(f"JSON nested deeper than {max_depth} levels")
    return document


def bad_text(value) -> str | None:
    """Why a text value may not be stored, or None."""
    if "\x00" in value:
        return "text must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "text must not contain lone UTF-16 surrogates"
    return None


def check_rows(rows: list[dict], location: str = "files", first_row: int = 1):
    """ValidationFailed naming each row and column of an imported file holding unusable text."""
    errors = [
        field_error(path or "_row", reason, location, row=number)
        for number, row in enumerate(rows, start=first_row)
        for path, reason in _bad_strings(row)
    ]
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) in the file; nothing was imported", errors=errors)


def _check_headers():
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > MAX_HEADER_BYTES:
            fail(
                431,
                f"the header {name[:64]} is longer than {MAX_HEADER_BYTES} bytes",
                kind="headers-too-large",
            )


def _check_json_body():
    data = request.get_data(cache=True)
    if not data:
        return  # nothing sent: the schema names the missing fields
    if not request.is_json:
        fail(
            415,
            f"send the body as application/json (got {request.mimetype or 'no Content-Type'})",
            kind="unsupported-media-type",
        )
    try:
        document = parse_json(data)
    except BadJSON as exc:
        fail(400, str(exc), kind="invalid-json")
    _raise_on_bad_strings(_bad_strings(document), "json")


def _check_mapping(mapping, location):
    items = mapping.items(multi=True) if hasattr(mapping, "getlist") else mapping.items()
    problems = [
        (str(key), reason)
        for key, value in items
        for reason in (bad_text(str(key)), bad_text(value) if isinstance(value, str) else None)
        if reason
    ]
    _raise_on_bad_strings(problems, location)


def _raise_on_bad_strings(problems, location):
    errors = [field_error(path or "_schema", reason, location) for path, reason in problems]
    if errors:
        raise ValidationFailed("request validation failed", errors=errors)


def _bad_strings(document):
    """(dotted path, reason) for each key or string value that may not be stored."""
    stack = [("", document)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            reason = bad_text(node)
            if reason:
                yield path, reason
        elif isinstance(node, dict):
            for key, child in node.items():
                child_path = f"{path}.{key}" if path else str(key)
                reason = bad_text(key)
                if reason:
                    yield child_path, reason
                stack.append((child_path, child))
        elif isinstance(node, list):
            stack.extend((f"{path}.{i}" if path else str(i), child) for i, child in enumerate(node))


def _depth_exceeds(document, max_depth):
    stack = [(document, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > max_depth:
                    return True
                stack.append((child, depth + 1))
    return False
