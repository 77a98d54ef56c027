"""The money terms of a rate card, next to its points terms (backend/orders/points.py), read and
checked here. All optional; a card without `fen_per_point` prices nothing (pay 0 fen).

| key | type | meaning |
|---|---|---|
| `fen_per_point` | decimal string or integer >= 0 | the price of one point, in fen (may carry decimals) |
| `fee_bps` | integer 0-10,000 | the platform's service fee, basis points of pay, charged on top |
| `insurance_premium_fen` | integer >= 0 | the accident-insurance premium per verified order |
| `sharing` | `{work_types: [..], level1_bps, level2_bps}` | team shares of pay for those work types |
| `work_item_points` | `{work_type: {unit: hour or piece, points_per_unit}}` | pricing of uploaded work items |
| `confirm_window_hours` | integer 1-720, default 72 | the client's window to confirm a daily record |

Decimals are strings (or integers) in JSON: a float such as 0.1 is refused, never rounded.
"""

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

BASIS_POINTS = 10_000
DEFAULT_CONFIRM_WINDOW_HOURS = 72
MAX_CONFIRM_WINDOW_HOURS = 720
UNITS = ("hour", "piece")


@dataclass(frozen=True)
class ItemRate:
    unit: str
    points_per_unit: Decimal


@dataclass(frozen=True)
class Sharing:
    work_types: frozenset[str]
    level1_bps: int
    level2_bps: int

    def basis_points(self, level: int) -> int:
        return self.level1_bps if level == 1 else self.level2_bps


@dataclass(frozen=True)
class MoneyTerms:
    fen_per_point: Decimal | None = None  # None: the card prices nothing
    fee_bps: int = 0
    insurance_premium_fen: int = 0
    sharing: Sharing | None = None
    work_item_points: dict[str, ItemRate] = field(default_factory=dict)
    confirm_window_hours: int = DEFAULT_CONFIRM_WINDOW_HOURS

    def shares_for(self, work_type: str, uplines: tuple[int, ...]) -> list[tuple[int, int]]:
        """(recipient, basis points) per level above the member, for a work type that shares."""
        if self.sharing is None or work_type not in self.sharing.work_types:
            return []
        return [(leader, self.sharing.basis_points(level)) for level, leader in enumerate(uplines[:2], start=1)]


def problems(terms: dict) -> list[tuple[str, str]]:
    """Every problem with the money terms, as (field path, message)."""
    found = []
    if "fen_per_point" in terms:
        found += _decimal_problem("terms.fen_per_point", terms["fen_per_point"])
    for key, high in (("fee_bps", BASIS_POINTS), ("insurance_premium_fen", None)):
        if key in terms:
            found += _integer_problem(f"terms.{key}", terms[key], 0, high)
    if "confirm_window_hours" in terms:
        found += _integer_problem(
            "terms.confirm_window_hours", terms["confirm_window_hours"], 1, MAX_CONFIRM_WINDOW_HOURS
        )
    if "sharing" in terms:
        found += _sharing_problems(terms["sharing"])
    if "work_item_points" in terms:
        found += _item_problems(terms["work_item_points"])
    return found


def money_terms(terms: dict | None) -> MoneyTerms:
    """The money terms of validated card terms (defaults where a key is absent)."""
    terms = terms or {}
    sharing = terms.get("sharing")
    return MoneyTerms(
        fen_per_point=Decimal(str(terms["fen_per_point"])) if "fen_per_point" in terms else None,
        fee_bps=terms.get("fee_bps", 0),
        insurance_premium_fen=terms.get("insurance_premium_fen", 0),
        sharing=Sharing(frozenset(sharing["work_types"]), sharing["level1_bps"], sharing["level2_bps"])
        if sharing
        else None,
        work_item_points={
            work_type: ItemRate(rate["unit"], Decimal(str(rate["points_per_unit"])))
            for work_type, rate in (terms.get("work_item_points") or {}).items()
        },
        confirm_window_hours=terms.get("confirm_window_hours", DEFAULT_CONFIRM_WINDOW_HOURS),
    )


def _decimal_problem(path, value) -> list[tuple[str, str]]:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return [(path, "must be a decimal string or an integer (no floats)")]
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return [(path, "must be a decimal number")]
    if not number.is_finite() or number < 0:
        return [(path, "must be a non-negative finite number")]
    if number.as_tuple().exponent < -4:
        return [(path, "at most 4 decimal places")]
    return []


def _integer_problem(path, value, low, high) -> list[tuple[str, str]]:
    if isinstance(value, bool) or not isinstance(value, int):
        return [(path, "must be an integer")]
    if value < low or (high is not None and value > high):
        return [(path, f"must be from {low} to {high}" if high is not None else f"must be at least {low}")]
    return []


def _sharing_problems(sharing) -> list[tuple[str, str]]:
    if not isinstance(sharing, dict):
        return [("terms.sharing", "must be an object {work_types, level1_bps, level2_bps}")]
    found = []
    work_types = sharing.get("work_types")
    if not isinstance(work_types, list) or not work_types or not all(isinstance(w, str) and w for w in work_types):
        found.append(("terms.sharing.work_types", "must be a non-empty list of work types"))
    for key in ("level1_bps", "level2_bps"):
        if key not in sharing:
            found.append((f"terms.sharing.{key}", "required"))
        else:
            found += _integer_problem(f"terms.sharing.{key}", sharing[key], 0, BASIS_POINTS)
    return found


def _item_problems(rates) -> list[tuple[str, str]]:
    if not isinstance(rates, dict):
        return [("terms.work_item_points", "must be an object {work_type: {unit, points_per_unit}}")]
    found = []
    for work_type, rate in rates.items():
        path = f"terms.work_item_points.{work_type}"
        if not isinstance(rate, dict):
            found.append((path, "must be an object {unit, points_per_unit}"))
            continue
        if rate.get("unit") not in UNITS:
            found.append((f"{path}.unit", f"must be one of {', '.join(UNITS)}"))
        if "points_per_unit" not in rate:
            found.append((f"{path}.points_per_unit", "required"))
        else:
            found += _decimal_problem(f"{path}.points_per_unit", rate["points_per_unit"])
    return found
