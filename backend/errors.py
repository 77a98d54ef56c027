"""Errors as RFC 9457 problem details.

Every 4xx and 5xx leaves as application/problem+json with type, title, status,
detail and, for input errors, a list of {location, field, message}.
"""

import logging

from apiflask import HTTPError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

PROBLEM_BASE = "https://gridwork.dev/problems/"
log = logging.getLogger(__name__)


def fail(status, detail, *, errors=None, kind=None, **extra):
    """Stop the request with a problem response; errors name fields and rules."""
    data = dict(extra)
    if errors:
        data["errors"] = errors
    if kind:
        data["type"] = PROBLEM_BASE + kind
    raise HTTPError(status, detail, extra_data=data)


def field_error(field, message, location="json", **extra):
    """One entry of a problem's errors list."""
    return {"location": location, "field": field, "message": message, **extra}


def not_found(what="resource"):
    """The same answer for 'does not exist' and 'belongs to someone else'."""
    fail(404, f"{what} not found", kind="not-found")


def flatten_validation(detail):
    """Turn webargs' {location: {field: [messages]}} into a flat errors list."""
    errors = []
    for location, fields in (detail or {}).items():
        _flatten(location, "", fields, errors)
    return errors


def _flatten(location, prefix, node, errors):
    if isinstance(node, dict):
        for key, child in node.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            _flatten(location, path, child, errors)
    elif isinstance(node, list) and all(isinstance(m, str) for m in node):
        errors.extend(field_error(prefix or "_schema", m, location) for m in node)
    else:
        errors.append(field_error(prefix or "_schema", str(node), location))


def problem_body(status, detail, extra=None):
    extra = dict(extra or {})
    body = {
        "type": extra.pop("type", "about:blank"),
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail or HTTP_STATUS_CODES.get(status, "Error"),
    }
    body.update(extra)
    return body


def init_app(app):
    app.error_processor(_process_http_error)

    @app.errorhandler(Exception)
    def _unexpected(exc):
        # HTTPExceptions that escaped APIFlask keep their status; anything else is a 500.
        if isinstance(exc, HTTPException) and not isinstance(exc, InternalServerError):
            return _respond(problem_body(exc.code, exc.description), exc.code)
        log.exception("unhandled error")
        return _respond(problem_body(500, "internal error; it has been logged"), 500)


def _process_http_error(error):
    extra = dict(error.extra_data or {})
    if error.status_code == 422 and "errors" not in extra and isinstance(error.detail, dict):
        extra["errors"] = flatten_validation(error.detail)
        extra.setdefault("type", PROBLEM_BASE + "validation-error")
        message = "request validation failed"
    else:
        message = error.message
    body = problem_body(error.status_code, message, extra)
    return body, error.status_code, {**(error.headers or {}), "Content-Type": "application/problem+json"}


def _respond(body, status):
    from flask import jsonify

    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    return response
