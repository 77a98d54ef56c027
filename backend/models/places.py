"""Regions (city → district → grid operating areas) and telecom sites."""

from decimal import Decimal

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, Float, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import Timestamped

REGION_LEVELS = ("city", "district", "grid")
PARENT_LEVEL = {"city": None, "district": "city", "grid": "district"}
SITE_TYPES = ("tower", "rooftop", "indoor", "machine_room", "cabinet", "shelter", "other")


class Region(Timestamped, db.Model):
    """An operating area. Platform-wide when org_id is null, else one client's."""

    __tablename__ = "regions"
    __table_args__ = (
        CheckConstraint(f"level IN {REGION_LEVELS}", name="ck_regions_level"),
        CheckConstraint("coefficient > 0", name="ck_regions_coefficient"),
        CheckConstraint("GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON')", name="ck_regions_geom_type"),
        UniqueConstraint("code", name="uq_regions_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    level: Mapped[str] = mapped_column(String(16))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    coefficient: Mapped[Decimal] = mapped_column(Numeric(6, 3), default=Decimal("1.000"))
    geom = mapped_column(Geometry(geometry_type="GEOMETRY", srid=4326, spatial_index=True), nullable=False)
    area_m2: Mapped[float] = mapped_column(Float)

    parent: Mapped["Region | None"] = relationship(remote_side=[id])


class Site(Timestamped, db.Model):
    """A client's telecom site; region_id is the smallest region covering it."""

    __tablename__ = "sites"
    __table_args__ = (
        CheckConstraint(f"site_type IN {SITE_TYPES}", name="ck_sites_type"),
        UniqueConstraint("org_id", "code", name="uq_sites_org_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    site_type: Mapped[str] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(300))
    geofence_radius_m: Mapped[int | None] = mapped_column(Integer)
    location = mapped_column(Geometry(geometry_type="POINT", srid=4326, spatial_index=True), nullable=False)

    region: Mapped[Region | None] = relationship()
