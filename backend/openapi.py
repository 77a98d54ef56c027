"""The OpenAPI 3.1 document tells the truth about errors, once for every route.

Each operation documents the error statuses its declaration implies, all as
application/problem+json with the Problem schema (RFC 9457):
- not public (see accounts.auth.public) → 401, 403; a sign-in (a body with a password) → 401;
- path parameters, or an id (`…_id`) named in the query or body → 404 (ids beyond the column
  never match a route, see BoundedInt);
- a request body → 400 (malformed, too deep), 413 (too large), 415 (wrong media type), 422;
- query parameters and text path segments → 422; a write (POST, PUT, PATCH, DELETE) → 409;
- a view that calls rate_limit.hit → 429.
"""

from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

INT_MAX = 2**31 - 1  # PostgreSQL integer: every id column
WRITES = {"post", "put", "patch", "delete"}
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["location", "field", "message"],
                "properties": {
                    "location": {"type": "string"},
                    "field": {"type": "string"},
                    "message": {"type": "string"},
                    "row": {"type": "integer"},
                },
            },
        },
    },
}
ERROR_DESCRIPTIONS = {
    400: "Malformed request (invalid JSON, nested too deep)",
    401: "Not signed in, or the token or key is invalid, expired or revoked",
    403: "Signed in without the scope or role this needs",
    404: "No such resource (or another tenant's)",
    409: "The current state does not allow this",
    413: "The body is too large",
    415: "The body is not in the media type this takes",
    422: "Input that breaks a rule; errors name each field",
    429: "Too many requests; retry later",
}


class BoundedInt(IntegerConverter):
    """`<int:…>` path segments up to the largest PostgreSQL integer: a larger id is a 404 (not an
    overflow in the database). Raised rather than "no match", which werkzeug would turn into a 405
    when another method's rule has the same path."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > INT_MAX:
            raise NotFound("no such resource: the id is beyond any stored one")
        return number


def init_app(app):
    app.url_map.converters["int"] = BoundedInt
    app.config.update(
        OPENAPI_VERSION="3.1.0",
        AUTO_404_RESPONSE=False,
        AUTO_VALIDATION_ERROR_RESPONSE=False,
    )
    app.spec_processor(lambda spec: document_errors(app, spec))


def document_errors(app, spec: dict) -> dict:
    views = _views_by_operation(app)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in WRITES | {"get", "head", "options"}:
                continue
            view = views.get((path, method))
            _bound_path_ids(operation)
            for status in sorted(_error_statuses(method, operation, view, schemas)):
                operation["responses"].setdefault(str(status), {"description": ERROR_DESCRIPTIONS[status]})
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    schemas["Problem"] = PROBLEM_SCHEMA
    for unused in ("HTTPError", "ValidationError"):
        schemas.pop(unused, None)
    return spec


def _error_statuses(method, operation, view, schemas) -> set[int]:
    statuses = set()
    parameters = operation.get("parameters", [])
    if view is None or not getattr(view, "public", False):
        statuses |= {401, 403}
    if "password" in _body_property_names(operation, schemas):
        statuses.add(401)
    if any(p.get("in") == "path" for p in parameters) or _names_an_id(operation, schemas):
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413, 415, 422}
    if any(p.get("in") == "query" or _text_in_path(p) for p in parameters):
        statuses.add(422)
    if method in WRITES:
        statuses.add(409)
    if view is not None and _calls_rate_limit(view):
        statuses.add(429)
    return statuses


def _text_in_path(parameter) -> bool:
    # A text segment (a month, a work type) is checked by its view or the request guard: 422.
    return parameter.get("in") == "path" and parameter.get("schema", {}).get("type") != "integer"


def _names_an_id(operation, schemas) -> bool:
    """Whether the query or the body refers to another row by id (which may not exist)."""
    if any(p.get("in") == "query" and p["name"].endswith("_id") for p in operation.get("parameters", [])):
        return True
    return any(name.endswith("_id") for name in _body_property_names(operation, schemas))


def _body_property_names(operation, schemas) -> set[str]:
    names = set()
    for media in operation.get("requestBody", {}).get("content", {}).values():
        names |= _property_names(media.get("schema", {}), schemas)
    return names


def _property_names(schema, schemas, seen=()):
    ref = schema.get("$ref", "")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        return set() if name in seen else _property_names(schemas.get(name, {}), schemas, (*seen, name))
    names = set(schema.get("properties", {}))
    for child in [*schema.get("properties", {}).values(), schema.get("items")]:
        if isinstance(child, dict) and child:
            names |= _property_names(child, schemas, seen)
    return names


def _bound_path_ids(operation):
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
            parameter["schema"].update(minimum=0, maximum=INT_MAX)


def _calls_rate_limit(view) -> bool:
    # The innermost function (below the decorators) names `hit` when it counts requests.
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    return "hit" in getattr(getattr(view, "__code__", None), "co_names", ())


def _views_by_operation(app) -> dict:
    import re

    views = {}
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<([^<:]+:)?", "{", rule.rule).replace(">", "}")
        for method in rule.methods or ():
            views[(path, method.lower())] = app.view_functions.get(rule.endpoint)
    return views
