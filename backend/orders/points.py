"""Points for a verified order, under the client's rate card.

points = base(work type) * efficiency * quality * region coefficient + urgency bonus

- efficiency = standard minutes / actual on-site minutes, bounded to [min, max] (1 when there
  was no on-site time: project orders);
- quality comes from the client's 1-5 rating ("unrated" until there is one);
- the region coefficient is that of the order's region (1 without one).

Amounts are Decimals in the terms (strings in JSON) and the result is rounded half-up to
0.01 point and stored as an integer count of 0.01 points. A card is versioned per client;
a sub-account uses its nearest ancestor's newest card; without any, DEFAULT_TERMS apply.
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from sqlalchemy import func, select

from backend.accounts.tenancy import org_ancestor_ids
from backend.errors import ValidationFailed, field_error
from backend.extensions import db
from backend.models import Order, RateCard, Region
from backend.money.terms import problems as money_term_problems

CENT = Decimal("0.01")
DEFAULT_TERMS = {
    "base_points": {"default": "10.00"},
    "efficiency": {"min": "0.80", "max": "1.20"},
    "quality": {"1": "0.50", "2": "0.80", "3": "1.00", "4": "1.10", "5": "1.20", "unrated": "1.00"},
    "urgency_bonus": {"urgent": "5.00", "high": "2.00", "normal": "0.00", "low": "0.00"},
}


def validate_terms(terms: dict) -> list[dict]:
    """Every problem with a rate card's terms, as field errors."""
    errors = []
    for section, keys in (
        ("base_points", ("default",)),
        ("efficiency", ("min", "max")),
        ("quality", ("1", "2", "3", "4", "5", "unrated")),
        ("urgency_bonus", ("urgent", "high", "normal", "low")),
    ):
        values = terms.get(section)
        if not isinstance(values, dict):
            errors.append(field_error(f"terms.{section}", "required object"))
            continue
        errors += _check_amounts(section, values, keys)
    if not errors and Decimal(terms["efficiency"]["min"]) > Decimal(terms["efficiency"]["max"]):
        errors.append(field_error("terms.efficiency.min", "must not exceed max"))
    errors += [field_error(path, message) for path, message in money_term_problems(terms)]  # issue 11
    return errors


def _check_amounts(section, values, required):
    errors = [field_error(f"terms.{section}.{k}", "required") for k in required if k not in values]
    for key, raw in values.items():
        try:
            if Decimal(str(raw)) < 0:
                raise InvalidOperation
        except InvalidOperation:
            errors.append(field_error(f"terms.{section}.{key}", "must be a non-negative decimal"))
    return errors


def create_card(org_id: int, terms: dict) -> RateCard:
    """A new version of the client's card (versions never change once written)."""
    errors = validate_terms(terms)
    if errors:
        raise ValidationFailed("invalid rate card terms", errors=errors)
    db.session.execute(select(func.pg_advisory_xact_lock(4005, org_id)))  # versions are sequential per client
    last = db.session.scalar(select(func.max(RateCard.version)).where(RateCard.org_id == org_id)) or 0
    card = RateCard(org_id=org_id, version=last + 1, terms=terms)
    db.session.add(card)
    db.session.flush()
    return card


def card_for(org_id: int) -> RateCard | None:
    """The newest card of the organization or, failing that, of its nearest ancestor with one."""
    for candidate in org_ancestor_ids(org_id):
        card = db.session.scalar(
            select(RateCard).where(RateCard.org_id == candidate).order_by(RateCard.version.desc()).limit(1)
        )
        if card:
            return card
    return None


def compute(order: Order, terms: dict, coefficient: Decimal) -> tuple[int, dict]:
    """(points in 0.01 units, breakdown) for an order under the given terms."""
    base = _dec(terms["base_points"].get(order.work_type, terms["base_points"]["default"]))
    efficiency = _efficiency(order, terms["efficiency"])
    quality = _dec(terms["quality"][str(order.quality_rating) if order.quality_rating else "unrated"])
    bonus = _dec(terms["urgency_bonus"].get(order.priority, "0"))
    points = (base * efficiency * quality * coefficient + bonus).quantize(CENT, rounding=ROUND_HALF_UP)
    breakdown = {
        "base": str(base),
        "work_type": order.work_type,
        "efficiency": str(efficiency),
        "standard_minutes": order.standard_duration_min,
        "actual_minutes": order.on_site_minutes,
        "quality": str(quality),
        "rating": order.quality_rating,
        "region_coefficient": str(coefficient),
        "urgency_bonus": str(bonus),
        "priority": order.priority,
        "points": str(points),
        "formula": "base * efficiency * quality * region_coefficient + urgency_bonus",
    }
    return int(points * 100), breakdown


def _efficiency(order, bounds):
    low, high = _dec(bounds["min"]), _dec(bounds["max"])
    if not order.on_site_minutes:
        return Decimal("1.0000")
    ratio = Decimal(order.standard_duration_min) / Decimal(order.on_site_minutes)
    return min(max(ratio, low), high).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _dec(value) -> Decimal:
    return Decimal(str(value))


def award(order: Order):
    """Compute and store the order's points, with the card version used and the breakdown."""
    card = card_for(order.org_id)
    terms = card.terms if card else DEFAULT_TERMS
    region = db.session.get(Region, order.region_id) if order.region_id else None
    coefficient = region.coefficient if region else Decimal("1.000")
    centi, breakdown = compute(order, terms, Decimal(coefficient))
    breakdown["rate_card"] = (
        {"id": card.id, "org_id": card.org_id, "version": card.version} if card else {"id": None, "version": "default"}
    )
    order.points_centi, order.points_breakdown = centi, breakdown
    order.rate_card_id = card.id if card else None
    return centi
