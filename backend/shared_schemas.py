from apiflask import Schema, validators

from backend import fields

COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")


class PageQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validators.Range(1, 500))
    cursor = fields.String(load_default=None)


class Page(Schema):
    next_cursor = fields.String(allow_none=True, metadata={"description": "pass as ?cursor= for the next page"})


def coord_sys_field():
    return fields.String(
        load_default="wgs84",
        validate=validators.OneOf(COORD_SYSTEMS),
        metadata={"description": "datum of the coordinates sent: wgs84, gcj02 (AMap/Tencent) or bd09 (Baidu)"},
    )
