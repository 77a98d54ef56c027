"""Work a client uploads for a technician and a day, outside orders (hours on a project, pieces
done, a reading round), priced under the client's current rate card (`work_item_points`).

A batch is all or nothing: every refused row is named (`items.<row>.<field>`) with its reason and
nothing is stored. `client_ref` makes an item idempotent per organization: the same reference with
the same content replays the stored item; with other content it is refused. Refused too: an item
for a technician who did not work for the client that day (no order of the client checked in,
checked out or verified in that day), after the day's 23:59 cut-off, or of a work type the card
does not price.
"""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, or_, select

from backend.errors import ValidationFailed, field_error
from backend.extensions import db
from backend.models import Order, OrderEvent, Organization, WorkItem
from backend.models.base import utcnow
from backend.money.daily import item_points
from backend.money.records import cutoff_utc, day_window
from backend.money.terms import money_terms
from backend.orders.points import card_for

UPLOAD_LOCK = 11_009


@dataclass(frozen=True)
class Upload:
    items: list[WorkItem]
    created: int
    replayed: int


def upload(org_id: int, rows: list[dict], now: datetime | None = None) -> Upload:
    """Store every row or none; rows are WorkItemIn bodies (already type-checked)."""
    now = now or utcnow()
    db.session.execute(select(func.pg_advisory_xact_lock(UPLOAD_LOCK, org_id)))
    org = db.session.get(Organization, org_id)
    card = card_for(org_id)
    rates = money_terms(card.terms if card else None).work_item_points
    stored = _stored(org_id, [row["client_ref"] for row in rows])
    worked = _worked(org, {row["work_date"] for row in rows})
    errors, replays, fresh, seen = [], {}, [], {}
    for i, row in enumerate(rows):
        ref = row["client_ref"]
        if ref in seen:
            errors.append(field_error(f"items.{i}.client_ref", f"repeats row {seen[ref]}"))
            continue
        seen[ref] = i
        if ref in stored:
            if _same(stored[ref], row):
                replays[i] = stored[ref]
            else:
                errors.append(field_error(f"items.{i}.client_ref", "already used for another work item"))
            continue
        row_errors = _refusals(i, row, org, rates, worked, now, card)
        errors += row_errors
        if not row_errors:
            fresh.append((i, row))
    if errors:
        raise ValidationFailed(f"{len(errors)} problem(s) in the work items; nothing was stored", errors=errors)
    created = {i: _item(org_id, row, rates[row["work_type"]], card) for i, row in fresh}
    db.session.add_all(created.values())
    db.session.flush()
    every = created | replays
    return Upload([every[i] for i in sorted(every)], len(created), len(replays))


def _refusals(i, row, org, rates, worked, now, card) -> list[dict]:
    errors = []
    cutoff = cutoff_utc(org.timezone, row["work_date"])
    if now >= cutoff:
        errors.append(
            field_error(
                f"items.{i}.work_date",
                f"the day closed at 23:59 {org.timezone} ({cutoff.isoformat()}); upload before the cut-off",
            )
        )
    rate = rates.get(row["work_type"])
    if rate is None:
        version = f"version {card.version}" if card else "the default card"
        errors.append(
            field_error(f"items.{i}.work_type", f"the rate card ({version}) gives no points for this work type")
        )
    elif row.get("unit") and row["unit"] != rate.unit:
        errors.append(field_error(f"items.{i}.unit", f"this work type is counted per {rate.unit}"))
    if (row["technician_id"], row["work_date"]) not in worked:
        errors.append(
            field_error(f"items.{i}.technician_id", f"did not work for this client on {row['work_date'].isoformat()}")
        )
    return errors


def _item(org_id, row, rate, card) -> WorkItem:
    return WorkItem(
        org_id=org_id,
        technician_id=row["technician_id"],
        work_date=row["work_date"],
        work_type=row["work_type"],
        quantity=row["quantity"],
        unit=rate.unit,
        points_per_unit=rate.points_per_unit,
        points=item_points(row["quantity"], rate.points_per_unit),
        rate_card_id=card.id if card else None,
        client_ref=row["client_ref"],
        note=row.get("note"),
        created_at=utcnow(),
    )


def _same(item: WorkItem, row: dict) -> bool:
    return (item.technician_id, item.work_date, item.work_type, item.quantity) == (
        row["technician_id"],
        row["work_date"],
        row["work_type"],
        row["quantity"],
    )


def _stored(org_id: int, refs: list[str]) -> dict[str, WorkItem]:
    items = db.session.scalars(select(WorkItem).where(WorkItem.org_id == org_id, WorkItem.client_ref.in_(refs)))
    return {item.client_ref: item for item in items}


def _worked(org: Organization, days: set[date]) -> set[tuple[int, date]]:
    """(technician, day) pairs with an order of the client checked in, out or verified that day."""
    pairs = set()
    for day in days:
        start, end = day_window(org.timezone, day)
        verified = select(OrderEvent.id).where(
            OrderEvent.order_id == Order.id,
            OrderEvent.to_status == "verified",
            OrderEvent.created_at >= start,
            OrderEvent.created_at < end,
        )
        technicians = db.session.scalars(
            select(Order.technician_id)
            .distinct()
            .where(
                Order.org_id == org.id,
                Order.technician_id.is_not(None),
                or_(
                    Order.on_site_at.between(start, end),
                    Order.checked_out_at.between(start, end),
                    verified.exists(),
                ),
            )
        )
        pairs |= {(technician_id, day) for technician_id in technicians}
    return pairs
