"""Route plans: one optimizer run for a region, its routes, stops and left-out orders.

The plan row is the job's state (status, progress, RQ job id), so any web process or
worker can report or cancel it; nothing lives in process memory.
"""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import CheckConstraint, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import Timestamped

PLAN_STATES = ("queued", "running", "solved", "failed", "cancelled", "published")
TRIGGERS = ("manual", "urgent_order", "technician_offline")


class RoutePlan(Timestamped, db.Model):
    __tablename__ = "route_plans"
    __table_args__ = (CheckConstraint(f"status IN {PLAN_STATES}", name="ck_route_plans_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="queued")
    policy: Mapped[str] = mapped_column(String(32))
    time_limit_s: Mapped[int] = mapped_column(Integer)
    horizon_hours: Mapped[int] = mapped_column(Integer)
    seed: Mapped[int] = mapped_column(Integer, default=0)
    # A re-plan starts from this plan's routes (warm start) and keeps pinned stops.
    previous_plan_id: Mapped[int | None] = mapped_column(ForeignKey("route_plans.id"))
    trigger: Mapped[str] = mapped_column(String(32), default="manual")
    rq_job_id: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(200))
    origin_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    objective: Mapped[float | None] = mapped_column(Float)
    stats: Mapped[dict] = mapped_column(JSONB, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    routes: Mapped[list["PlanRoute"]] = relationship(order_by="PlanRoute.id", cascade="all, delete-orphan")
    unassigned: Mapped[list["PlanUnassigned"]] = relationship(cascade="all, delete-orphan")


class PlanRoute(db.Model):
    __tablename__ = "plan_routes"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id", ondelete="CASCADE"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id"))
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    travel_m: Mapped[int] = mapped_column(Integer)
    travel_s: Mapped[int] = mapped_column(Integer)
    geom = mapped_column(Geometry(geometry_type="LINESTRING", srid=4326, spatial_index=False), nullable=False)

    stops: Mapped[list["PlanStop"]] = relationship(order_by="PlanStop.seq", cascade="all, delete-orphan")


class PlanStop(db.Model):
    __tablename__ = "plan_stops"

    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("plan_routes.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    arrival_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    eta: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    end_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    wait_s: Mapped[int] = mapped_column(Integer)
    slack_s: Mapped[int] = mapped_column(Integer)
    lateness_s: Mapped[int] = mapped_column(Integer)
    pinned: Mapped[bool] = mapped_column(default=False)


class PlanUnassigned(db.Model):
    __tablename__ = "plan_unassigned"

    plan_id: Mapped[int] = mapped_column(ForeignKey("route_plans.id", ondelete="CASCADE"), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str] = mapped_column(String(300))
