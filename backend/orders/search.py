"""Finding orders: the one search behind the client API's and the console's order lists.

Who sees what: a client sees its organizations' orders (its own and every sub-account's);
a dispatcher every client's orders in the regions they manage (and everything inside them),
as tracking shows them only their regions' technicians; a platform admin every order.
The filters are the same for both lists: several states, kind, organization, site, region
(with everything inside it), creation dates, and the SLA (breached, or at risk: due within
SLA_AT_RISK_WITHIN and not delivered yet).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from backend.accounts.actor import Actor
from backend.accounts.tenancy import org_subtree_ids
from backend.models import Order
from backend.models.base import utcnow
from backend.orders.transitions import FINAL
from backend.places.tree import managed_region_ids, region_descendant_ids

SLA_AT_RISK_WITHIN = timedelta(hours=2)
DONE = (*FINAL, "delivered")  # the SLA is met or moot once delivered


@dataclass(frozen=True)
class OrderFilter:
    """What to look for; None (or an empty tuple) leaves a criterion out."""

    statuses: tuple[str, ...] = ()
    kind: str | None = None
    org_id: int | None = None
    site_id: int | None = None
    region_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    sla_breached: bool | None = None
    sla_at_risk: bool | None = None

    @classmethod
    def from_query(cls, query: dict) -> "OrderFilter":
        """From a loaded OrderQuery (absent parameters stay None)."""
        return cls(
            statuses=tuple(query.get("status") or ()),
            **{name: query.get(name) for name in cls.__dataclass_fields__ if name != "statuses"},
        )


def region_scope(actor: Actor) -> set[int] | None:
    """The regions a platform user's order and plan work is limited to; None means all (platform
    admins; clients are limited by organization instead)."""
    if actor.is_platform and actor.role != "platform_admin":
        return managed_region_ids(actor.user_id)
    return None


def visible_orders(actor: Actor) -> Select:
    """A select of the orders the actor may see (and act on, with the scopes for it)."""
    stmt = select(Order)
    if not actor.is_platform:
        return stmt.where(Order.org_id.in_(org_subtree_ids(actor.org_id)))
    regions = region_scope(actor)
    return stmt if regions is None else stmt.where(Order.region_id.in_(regions))


def search_orders(actor: Actor, wanted: OrderFilter) -> Select:
    """A select of the orders the actor may see that match every criterion given."""
    stmt = visible_orders(actor)
    if wanted.statuses:
        stmt = stmt.where(Order.status.in_(wanted.statuses))
    for name in ("kind", "org_id", "site_id"):
        if getattr(wanted, name) is not None:
            stmt = stmt.where(getattr(Order, name) == getattr(wanted, name))
    if wanted.region_id is not None:
        stmt = stmt.where(Order.region_id.in_(region_descendant_ids(wanted.region_id)))
    if wanted.created_from is not None:
        stmt = stmt.where(Order.created_at >= wanted.created_from)
    if wanted.created_to is not None:
        stmt = stmt.where(Order.created_at < wanted.created_to)
    if wanted.sla_breached is not None:
        breached = Order.sla_breached_at.is_not(None)
        stmt = stmt.where(breached if wanted.sla_breached else ~breached)
    if wanted.sla_at_risk is not None:
        stmt = stmt.where(_at_risk() if wanted.sla_at_risk else ~_at_risk())
    return stmt


def _at_risk():
    now = utcnow()
    return (
        Order.sla_breached_at.is_(None)
        & Order.sla_deadline.is_not(None)
        & Order.sla_deadline.between(now, now + SLA_AT_RISK_WITHIN)
        & Order.status.notin_(DONE)
    )
