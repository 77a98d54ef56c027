"""The content of a daily work record, priced line by line (pure: no Flask, no database).

A line is one verified order or one uploaded work item, priced under the rate card it names:
pay = points x fen_per_point (half-up), the fee and the team shares on top of pay (backend/money/
pay.py), the insurance premium per order. Each line carries the inputs of its price, so an
adjustment re-rates a line under the same terms and anyone can recompute every figure. The record
repeats the sums, lists each share recipient once per level, names the rate-card versions used,
and is sealed by the SHA-256 of its canonical JSON (backend/money/digest.py).
"""

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from backend.money.digest import MAX_SAFE_INTEGER, digest
from backend.money.pay import charge_order
from backend.money.terms import MoneyTerms

CENT = Decimal("0.01")


@dataclass(frozen=True)
class CardRef:
    id: int | None  # None: the default points terms (no money terms)
    org_id: int | None
    version: int | None

    def as_dict(self) -> dict:
        return {"id": self.id, "org_id": self.org_id, "version": self.version}


@dataclass(frozen=True)
class OrderWork:
    order_id: int
    work_type: str
    points: Decimal
    verified_at: datetime
    card: CardRef


@dataclass(frozen=True)
class ItemWork:
    item_id: int
    client_ref: str
    work_type: str
    quantity: Decimal
    unit: str
    points_per_unit: Decimal
    points: Decimal
    card: CardRef


def item_points(quantity: Decimal, points_per_unit: Decimal) -> Decimal:
    """Points of a work item: quantity x points per unit, half-up to 0.01 point."""
    return (quantity * points_per_unit).quantize(CENT, rounding=ROUND_HALF_UP)


def order_line(work: OrderWork, terms: MoneyTerms, uplines: tuple[int, ...]) -> dict:
    line = {
        "kind": "order",
        "order_id": work.order_id,
        "work_type": work.work_type,
        "verified_at": work.verified_at,
        "rate_card": work.card.as_dict(),
        "insurance_fen": terms.insurance_premium_fen if terms.fen_per_point is not None else 0,
    }
    return line | priced(work.points, terms.fen_per_point, terms.fee_bps, terms.shares_for(work.work_type, uplines))


def item_line(work: ItemWork, terms: MoneyTerms, uplines: tuple[int, ...]) -> dict:
    line = {
        "kind": "work_item",
        "item_id": work.item_id,
        "client_ref": work.client_ref,
        "work_type": work.work_type,
        "quantity": work.quantity,
        "unit": work.unit,
        "points_per_unit": work.points_per_unit,
        "rate_card": work.card.as_dict(),
        "insurance_fen": 0,
    }
    return line | priced(work.points, terms.fen_per_point, terms.fee_bps, terms.shares_for(work.work_type, uplines))


def priced(points: Decimal, fen_per_point: Decimal | None, fee_bps: int, uplines_bps) -> dict:
    """The price part of a line: its inputs and its figures."""
    charge = charge_order(points, fen_per_point or 0, fee_bps, uplines_bps)
    return {
        "points": points.quantize(CENT),
        "fen_per_point": None if fen_per_point is None else fen_per_point,
        "pay_fen": charge.pay_fen,
        "fee_bps": fee_bps,
        "fee_fen": charge.fee_fen,
        "shares": [
            {"technician_id": s.recipient_id, "level": s.level, "bps": s.basis_points, "amount_fen": s.fen}
            for s in charge.shares
        ],
    }


def rerated(line: dict, points: Decimal) -> dict:
    """The same line with other points, priced under the same terms as before."""
    fen_per_point = None if line["fen_per_point"] is None else Decimal(str(line["fen_per_point"]))
    uplines_bps = [(s["technician_id"], s["bps"]) for s in line["shares"]]
    return line | priced(points, fen_per_point, line["fee_bps"], uplines_bps) | {"rerated_from": line["points"]}


def content(
    *,
    org_id: int,
    technician_id: int,
    work_date: date,
    version: int,
    lines: list[dict],
    supersedes_id: int | None = None,
    adjustment: Mapping | None = None,
) -> dict:
    """Everything a record says, sums included; its digest covers exactly this."""
    lines = sorted(lines, key=_line_key)
    body = {
        "org_id": org_id,
        "technician_id": technician_id,
        "work_date": work_date,
        "version": version,
        "supersedes_id": supersedes_id,
        "lines": lines,
        "points": sum((Decimal(str(line["points"])) for line in lines), Decimal("0.00")).quantize(CENT),
        "pay_fen": sum(line["pay_fen"] for line in lines),
        "fee_fen": sum(line["fee_fen"] for line in lines),
        "shares_fen": sum(share["amount_fen"] for line in lines for share in line["shares"]),
        "insurance_fen": sum(line["insurance_fen"] for line in lines),
        "shares": recipients(lines),
        "rate_card_versions": card_versions(lines),
        "adjustment": dict(adjustment) if adjustment else None,
    }
    return body


def sealed(body: dict) -> str:
    """The record's digest: SHA-256 of the canonical JSON of its content (the reference form)."""
    return digest(body)


def seal(body: dict) -> tuple[str, dict]:
    """(digest, plain JSON form) of a record in one pass, for closing thousands of records: the
    same bytes as digest.canonical_json (tested), with json's C encoder doing the walk. Floats and
    unsafe integers are refused while parsing the text back, which also yields what JSONB stores."""
    text = json.dumps(body, default=_jsonable, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Every integer below 10^15 is safe: only a text with 16 digits in a row needs each integer
    # checked in Python (a per-integer hook takes the decoder off its C path).
    checked = _safe_int if _SIXTEEN_DIGITS.search(text) else int
    plain = json.loads(text, parse_float=_no_float, parse_int=checked)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), plain


_SIXTEEN_DIGITS = re.compile(r"[0-9]{16}")


def _jsonable(value):
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("Decimals in canonical records must be finite")
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("datetimes in canonical records must be timezone-aware")
        return value.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no canonical JSON form")


def _no_float(text):
    raise TypeError(f"floats are not allowed in canonical records ({text}); use integer fen or a Decimal")


def _safe_int(text):
    number = int(text)
    if abs(number) > MAX_SAFE_INTEGER:
        raise ValueError(f"integer {number} is beyond the safe JSON range")
    return number


def recipients(lines: Iterable[dict]) -> list[dict]:
    """One entry per (recipient, level): the shares summed, with the orders and items they came from."""
    totals: dict[tuple[int, int], dict] = {}
    for line in lines:
        for share in line["shares"]:
            entry = totals.setdefault(
                (share["technician_id"], share["level"]),
                {
                    "technician_id": share["technician_id"],
                    "level": share["level"],
                    "amount_fen": 0,
                    "order_ids": [],
                    "item_ids": [],
                },
            )
            entry["amount_fen"] += share["amount_fen"]
            if line["kind"] == "order":
                entry["order_ids"].append(line["order_id"])
            else:
                entry["item_ids"].append(line["item_id"])
    return [totals[key] for key in sorted(totals)]


def card_versions(lines: Iterable[dict]) -> list[dict]:
    unique = {(line["rate_card"]["id"] or 0, line["rate_card"]["version"] or 0): line["rate_card"] for line in lines}
    return [unique[key] for key in sorted(unique)]


def _line_key(line: dict) -> tuple:
    return (0, line["order_id"]) if line["kind"] == "order" else (1, line["item_id"])
