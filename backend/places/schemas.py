from apiflask import Schema, validators
from geoalchemy2.shape import to_shape

from backend import fields
from backend.models.places import REGION_LEVELS, SITE_TYPES
from backend.shared_schemas import PageQuery, coord_sys_field
from geo.shapes import to_geojson


class GeoJSONGeometry(fields.Field):
    """A PostGIS geometry column dumped as a GeoJSON geometry (WGS-84)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_geojson(to_shape(value))


class RegionIn(Schema):
    code = fields.String(required=True, validate=validators.Length(1, 64))
    name = fields.String(required=True, validate=validators.Length(1, 200))
    level = fields.String(required=True, validate=validators.OneOf(REGION_LEVELS))
    parent_id = fields.Integer(load_default=None)
    org_id = fields.Integer(load_default=None, metadata={"description": "owner; platform-wide when omitted by staff"})
    coefficient = fields.Decimal(
        load_default="1.000", places=3, as_string=True, validate=validators.Range(min=0.001, max=100)
    )
    geometry = fields.Dict(required=True, metadata={"description": "GeoJSON Polygon, MultiPolygon or Feature"})
    coord_sys = coord_sys_field()


class RegionPatch(Schema):
    name = fields.String(validate=validators.Length(1, 200))
    coefficient = fields.Decimal(places=3, as_string=True, validate=validators.Range(min=0.001, max=100))
    geometry = fields.Dict()
    coord_sys = coord_sys_field()


class RegionQuery(PageQuery):
    level = fields.String(validate=validators.OneOf(REGION_LEVELS))
    parent_id = fields.Integer()


class RegionProperties(Schema):
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)
    org_id = fields.Integer(allow_none=True)
    coefficient = fields.String(metadata={"description": 'decimal, e.g. "1.200"'})
    area_km2 = fields.Method("_area_km2")

    def _area_km2(self, region):
        return round(region.area_m2 / 1e6, 3)


class RegionFeature(Schema):
    """A region as a GeoJSON Feature (RFC 7946); dumps a Region row."""

    type = fields.String(dump_default="Feature")
    id = fields.Integer()
    geometry = GeoJSONGeometry(attribute="geom", metadata={"description": "GeoJSON Polygon or MultiPolygon"})
    properties = fields.Function(lambda region: RegionProperties().dump(region), metadata={"type": "object"})


class RegionCollection(Schema):
    type = fields.String(dump_default="FeatureCollection")
    features = fields.List(fields.Nested(RegionFeature))
    next_cursor = fields.String(allow_none=True)


class SiteIn(Schema):
    code = fields.String(required=True, validate=validators.Length(1, 64))
    name = fields.String(required=True, validate=validators.Length(1, 200))
    site_type = fields.String(required=True, validate=validators.OneOf(SITE_TYPES))
    location = fields.Raw(required=True, metadata={"description": "[lon, lat] or a GeoJSON Point"})
    coord_sys = coord_sys_field()
    address = fields.String(load_default=None, validate=validators.Length(max=300))
    geofence_radius_m = fields.Integer(load_default=None, validate=validators.Range(10, 5000))
    org_id = fields.Integer(
        load_default=None, metadata={"description": "a sub-account's site; defaults to the caller's"}
    )


class SitePatch(Schema):
    name = fields.String(validate=validators.Length(1, 200))
    site_type = fields.String(validate=validators.OneOf(SITE_TYPES))
    location = fields.Raw()
    coord_sys = coord_sys_field()
    address = fields.String(allow_none=True, validate=validators.Length(max=300))
    geofence_radius_m = fields.Integer(allow_none=True, validate=validators.Range(10, 5000))


class SiteQuery(PageQuery):
    region_id = fields.Integer()
    code = fields.String()
    org_id = fields.Integer()


class SiteOut(Schema):
    id = fields.Integer()
    org_id = fields.Integer()
    code = fields.String()
    name = fields.String()
    site_type = fields.String()
    address = fields.String(allow_none=True)
    geofence_radius_m = fields.Integer(allow_none=True)
    location = GeoJSONGeometry(metadata={"description": "GeoJSON Point, WGS-84"})
    region_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()


class SitePage(Schema):
    items = fields.List(fields.Nested(SiteOut))
    next_cursor = fields.String(allow_none=True)


class SiteImportOut(Schema):
    created = fields.Integer()
    placed = fields.Integer(metadata={"description": "sites that fell inside a region"})
    items = fields.List(fields.Nested(SiteOut))


class PlatformRegionQuery(Schema):
    level = fields.String(load_default=None, validate=validators.OneOf(REGION_LEVELS))


class PlatformRegionOut(Schema):
    """A platform region named for a picker (no geometry)."""

    id = fields.Integer()
    code = fields.String()
    name = fields.String()
    level = fields.String()
    parent_id = fields.Integer(allow_none=True)


class PlatformRegionList(Schema):
    items = fields.List(fields.Nested(PlatformRegionOut))
