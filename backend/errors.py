"""Errors as RFC 9457 problem details, and the domain errors services raise.

Services raise a `DomainError` subclass (they know nothing of HTTP); this module is the one
place that turns each into a problem. Every 4xx and 5xx leaves as application/problem+json with
type, title, status, detail and, for input errors, a list of {location, field, message}.
"""

import logging

from apiflask import HTTPError
from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES

from backend.money.errors import MoneyError

PROBLEM_BASE = "https://gridwork.dev/problems/"
log = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. `status` and `kind` fix the problem's HTTP status and type;
    keyword arguments become members of the problem body (e.g. `allowed`, `distance_m`)."""

    status = 400
    kind = "bad-request"

    def __init__(self, detail: str, *, errors: list | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors
        self.extra = extra

    def problem(self) -> dict:
        extra = dict(self.extra)
        if self.errors:
            extra["errors"] = self.errors
        extra["type"] = PROBLEM_BASE + self.kind
        return problem_body(self.status, self.detail, extra)


class ValidationFailed(DomainError):
    """Input that breaks a rule; `errors` names each field (see `field_error`)."""

    status = 422
    kind = "validation-error"


class NotFound(DomainError):
    """The same answer for 'does not exist' and 'belongs to someone else'."""

    status = 404
    kind = "not-found"

    def __init__(self, what: str = "resource", **extra):
        super().__init__(f"{what} not found", **extra)


class Forbidden(DomainError):
    status = 403
    kind = "forbidden"


class Conflict(DomainError):
    """The request is valid but the current state does not allow it."""

    status = 409
    kind = "conflict"


class IllegalTransition(Conflict):
    """A state change not allowed from the current state; `allowed` lists the next states."""

    kind = "illegal-transition"

    def __init__(self, detail: str, *, allowed: list[str], **extra):
        super().__init__(detail, allowed=allowed, **extra)


class AtCapacity(Conflict):
    kind = "capacity"


class OutsideGeofence(DomainError):
    """A position too far from the site; `distance_m` and `radius_m` say by how much."""

    status = 422
    kind = "geofence"

    def __init__(self, detail: str, *, distance_m: float, radius_m: float, **extra):
        super().__init__(detail, distance_m=distance_m, radius_m=radius_m, **extra)


class NotEligible(DomainError):
    """The technician does not meet the order's needs (region, role, skills)."""

    status = 422
    kind = "not-eligible"


class OutsideTimeWindow(DomainError):
    """An act that counts only inside one of the order's time windows."""

    status = 422
    kind = "time-window"


class IdempotencyMismatch(DomainError):
    """An Idempotency-Key reused with another request."""

    status = 422
    kind = "idempotency-mismatch"


class PlainProblem(DomainError):
    """A refusal whose problem type is about:blank, with the status given (422 unless said):
    the field checks of the workforce and places services answered so before typed errors
    existed, and their answers stay exactly as they were."""

    status = 422

    def __init__(self, detail: str, *, status: int = 422, **extra):
        super().__init__(detail, **extra)
        self.status = status

    def problem(self) -> dict:
        return {**super().problem(), "type": "about:blank"}


class ImportRejected(ValidationFailed):
    """A file import refused as a whole; `errors` names every broken row."""

    kind = "import-rejected"


def problem_response(status, detail, *, kind=None, **extra):
    """A problem-details response, for callbacks that must return one (the JWT library's)."""
    if kind:
        extra["type"] = PROBLEM_BASE + kind
    return _respond(problem_body(status, detail, extra), status)


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

    @app.errorhandler(DomainError)
    def _domain_error(exc):
        return _respond(exc.problem(), exc.status)

    @app.errorhandler(MoneyError)
    def _money_error(exc):
        # The ledger's errors are pure (no Flask); their body names the code and the field.
        body = exc.problem()
        status = body.pop("status")
        return _respond(problem_body(status, body.pop("detail"), body), status)

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
