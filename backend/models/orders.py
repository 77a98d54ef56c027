"""Work orders and everything hanging off them: skill requirements, state-change events,
offers, idempotency keys, rate cards, the matching position of technicians, webhook
endpoints and their delivery outbox.

Points are stored as integers of 0.01 point (`*_centi`), never floats.
"""

from datetime import datetime

from geoalchemy2 import Geometry
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import Timestamped, check_in, utcnow

ORDER_KINDS = ("dispatch", "checkin", "project")
ORDER_STATES = (
    "created",
    "published",
    "offered",
    "assigned",
    "accepted",
    "en_route",
    "on_site",
    "delivered",
    "verified",
    "rejected",
    "cancelled",
    "expired",
)
IN_HAND_STATES = ("assigned", "accepted", "en_route", "on_site", "rejected")  # = orders.transitions.ACTIVE
PRIORITIES = ("urgent", "high", "normal", "low")
DISPATCH_MODES = ("grab", "auto")
OFFER_STATES = ("open", "claimed", "accepted", "declined", "expired", "withdrawn")
DELIVERY_STATES = ("pending", "delivered", "dead")


class Order(Timestamped, db.Model):
    """A client's piece of work; `status` is the cached current state (events are the history)."""

    __tablename__ = "orders"
    __table_args__ = (
        check_in("kind", ORDER_KINDS, "ck_orders_kind"),
        check_in("status", ORDER_STATES, "ck_orders_status"),
        check_in("priority", PRIORITIES, "ck_orders_priority"),
        check_in("dispatch_mode", DISPATCH_MODES, "ck_orders_dispatch_mode"),
        CheckConstraint("quality_rating IS NULL OR quality_rating BETWEEN 1 AND 5", name="ck_orders_rating"),
        UniqueConstraint("org_id", "client_ref", name="uq_orders_org_client_ref"),
        Index("ix_orders_open_region", "region_id", "status"),
        Index("ix_orders_technician_status", "technician_id", "status"),
        # Candidate ranking (migration 0012): orders in hand (transitions.ACTIVE) and ratings, index only.
        Index("ix_orders_in_hand", "technician_id", postgresql_where=text(f"status IN {IN_HAND_STATES}")),
        Index(
            "ix_orders_rated",
            "technician_id",
            postgresql_include=["quality_rating"],
            postgresql_where=text("quality_rating IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    client_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="created", index=True)
    dispatch_mode: Mapped[str] = mapped_column(String(8), default="grab")
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), index=True)
    location = mapped_column(Geometry(geometry_type="POINT", srid=4326, spatial_index=True))
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    role_code: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(8), default="normal")
    time_windows: Mapped[list] = mapped_column(JSONB, default=list)  # [{"start": iso, "end": iso}] UTC
    window_end: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)  # latest end
    sla_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sla_breached_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    standard_duration_min: Mapped[int] = mapped_column(Integer, default=60)
    work_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    on_site_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    checked_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    on_site_minutes: Mapped[int | None] = mapped_column(Integer)
    delivery: Mapped[dict | None] = mapped_column(JSONB)  # {"evidence": [sha256], "notes", "readings"}
    quality_rating: Mapped[int | None] = mapped_column(Integer)
    points_centi: Mapped[int | None] = mapped_column(Integer)  # 0.01 points
    points_breakdown: Mapped[dict | None] = mapped_column(JSONB)
    rate_card_id: Mapped[int | None] = mapped_column(ForeignKey("rate_cards.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    skills: Mapped[list["OrderSkill"]] = relationship(
        cascade="all, delete-orphan", order_by="OrderSkill.skill_code", lazy="selectin"
    )


class OrderSkill(db.Model):
    """One required skill of an order, at a minimum level."""

    __tablename__ = "order_skills"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    skill_code: Mapped[str] = mapped_column(String(64), primary_key=True)
    min_level: Mapped[int] = mapped_column(Integer, default=1)


class OrderEvent(db.Model):
    """Every state change (and notable act) of an order: who, when, where, from → to, why."""

    __tablename__ = "order_events"
    __table_args__ = (Index("ix_order_events_order", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(32))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))  # user, api_key, technician, system
    actor_id: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(500))
    location = mapped_column(Geometry(geometry_type="POINT", srid=4326))
    data: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OrderOffer(Timestamped, db.Model):
    """An order offered to one technician (grab: many at once; auto: one at a time)."""

    __tablename__ = "order_offers"
    __table_args__ = (
        check_in("state", OFFER_STATES, "ck_order_offers_state"),
        UniqueConstraint("order_id", "technician_id", name="uq_order_offers_once"),
        Index("ix_order_offers_technician", "technician_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"))
    mode: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default="open")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class IdempotencyKey(db.Model):
    """The first answer to a keyed request, replayed to retries with the same body."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("org_id", "key", name="uq_idempotency_keys_org_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)  # the caller's organization (0 for platform staff)
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)


class RateCard(Timestamped, db.Model):
    """A client's points terms, versioned; an order stores the version it was paid under."""

    __tablename__ = "rate_cards"
    __table_args__ = (UniqueConstraint("org_id", "version", name="uq_rate_cards_org_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    terms: Mapped[dict] = mapped_column(JSONB)


class MatchingPosition(db.Model):
    """A technician's last known position for matching (KNN on the GiST index)."""

    __tablename__ = "matching_positions"

    technician_id: Mapped[int] = mapped_column(ForeignKey("technicians.id", ondelete="CASCADE"), primary_key=True)
    location = mapped_column(Geometry(geometry_type="POINT", srid=4326, spatial_index=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class WebhookEndpoint(Timestamped, db.Model):
    """A client's URL and the events it wants; the signing secret is stored encrypted."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    secret_enc: Mapped[bytes] = mapped_column(LargeBinary)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class WebhookDelivery(Timestamped, db.Model):
    """Outbox row: committed with the business change, delivered by a worker, retried, dead-lettered."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        check_in("state", DELIVERY_STATES, "ck_webhook_deliveries_state"),
        Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(40), unique=True)  # webhook-id, stable across retries
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), index=True)
    org_id: Mapped[int] = mapped_column(Integer, index=True)
    event: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column(JSONB)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    endpoint: Mapped[WebhookEndpoint] = relationship()
