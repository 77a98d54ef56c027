"""Three-party confirmation of a daily work record, and the platform's resolution of disputes.

- The technician (app) and the client (API) each confirm or dispute a record version once. A
  dispute names a reason and, if it is about orders, which orders of the record.
- A client that says nothing within its window (`confirm_window_hours`, default 72 h) counts as
  having confirmed: the job records that with the channel `auto_window`.
- Once both have confirmed, the platform confirms (channel `auto`) and finalizes the record; only
  a finalized record moves money (backend.money.settlement.post_record).
- A dispute goes to a platform admin, who adjusts: removes orders or items, or re-rates orders
  under the same terms. That writes version n+1 superseding version n; both sides confirm again.

Each decision is sealed by the platform: Ed25519 over the canonical JSON of (record digest,
party, decision, time), as agreements are (backend/esign.py).
"""

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from backend import esign
from backend.errors import Conflict, ValidationFailed, field_error
from backend.extensions import db
from backend.models import DailyWorkRecord, RecordConfirmation
from backend.models.base import utcnow
from backend.money import daily, records
from backend.money.digest import canonical_json
from backend.money.errors import MoneyError
from backend.money.settlement import post_record

SIGNED_FIELDS = ("record_digest", "party", "decision", "at")
SYSTEM = ("system", None)


@dataclass(frozen=True)
class Decision:
    """Who decides, through which channel: (actor kind, actor id) as order events name them."""

    party: str  # technician | client
    channel: str  # app | api | console | auto_window
    actor: tuple[str, int | None]


# --- deciding -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """A decision, and why the record is not finalized yet when both sides have confirmed."""

    confirmation: RecordConfirmation
    finalization_refused: MoneyError | None = None


def confirm(record: DailyWorkRecord, who: Decision, now: datetime | None = None) -> Outcome:
    """The party confirms; once technician and client both have, the platform finalizes (if the
    client's funds cannot pay the record, the confirmations stand and a job retries later)."""
    now = now or utcnow()
    record = _lock(record)
    _require_open(record, who.party)
    confirmation = _seal(record, who, "confirm", now)
    refused = try_finalize(record, now) if _confirmed_parties(record.id) >= {"technician", "client"} else None
    return Outcome(confirmation, refused)


def dispute(record: DailyWorkRecord, who: Decision, reason: str, order_ids, now=None) -> RecordConfirmation:
    """The party disputes the record (naming orders of it, if the dispute is about orders)."""
    record = _lock(record)
    _require_open(record, who.party)
    in_record = {line["order_id"] for line in record.lines if line["kind"] == "order"}
    wrong = [
        field_error(f"order_ids.{i}", "not an order of this record")
        for i, o in enumerate(order_ids)
        if o not in in_record
    ]
    if wrong:
        raise ValidationFailed("the dispute names orders that are not in this record", errors=wrong)
    confirmation = _seal(record, who, "dispute", now or utcnow(), reason=reason, order_ids=sorted(set(order_ids)))
    record.state = "disputed"
    db.session.flush()
    return confirmation


def finalize(record: DailyWorkRecord, now: datetime):
    """The platform's confirmation, then the record is final and its money moves."""
    _seal(record, Decision("platform", "auto", SYSTEM), "confirm", now)
    record.state, record.finalized_at = "finalized", now
    db.session.flush()
    post_record(record, now=now)


def try_finalize(record: DailyWorkRecord, now: datetime) -> MoneyError | None:
    """Finalize in a savepoint; a refusal by the ledger (e.g. unfunded) leaves the record as it was."""
    try:
        with db.session.begin_nested():
            finalize(record, now)
    except MoneyError as refused:
        return refused
    return None


def ready_to_finalize(limit: int = 500) -> list[int]:
    """Ids of records both sides confirmed that are not final yet (their posting was refused)."""
    confirmed = (
        select(RecordConfirmation.record_id)
        .where(RecordConfirmation.decision == "confirm", RecordConfirmation.party.in_(("technician", "client")))
        .group_by(RecordConfirmation.record_id)
        .having(func.count() == 2)
    )
    return list(
        db.session.scalars(
            select(DailyWorkRecord.id)
            .where(DailyWorkRecord.state == "pending_confirmation", DailyWorkRecord.id.in_(confirmed))
            .order_by(DailyWorkRecord.id)
            .limit(limit)
        )
    )


def retry_finalize(record_id: int, now: datetime | None = None) -> tuple[bool, MoneyError | None]:
    """(finalized now?, the ledger's refusal if any) for a record both sides confirmed."""
    record = _lock(db.session.get(DailyWorkRecord, record_id))
    if record.state != "pending_confirmation" or _confirmed_parties(record.id) < {"technician", "client"}:
        return False, None
    refused = try_finalize(record, now or utcnow())
    return refused is None, refused


def confirm_overdue(now: datetime | None = None, limit: int = 500) -> list[int]:
    """Ids of records whose client window has passed without a word, to confirm for the client."""
    said = select(RecordConfirmation.id).where(
        RecordConfirmation.record_id == DailyWorkRecord.id, RecordConfirmation.party == "client"
    )
    return list(
        db.session.scalars(
            select(DailyWorkRecord.id)
            .where(
                DailyWorkRecord.state == "pending_confirmation",
                DailyWorkRecord.client_deadline <= (now or utcnow()),
                ~said.exists(),
            )
            .order_by(DailyWorkRecord.client_deadline)
            .limit(limit)
        )
    )


def confirm_by_window(record_id: int, now: datetime | None = None) -> Outcome | None:
    """Record the client's silence past its window as its confirmation (None if no longer due)."""
    record = db.session.get(DailyWorkRecord, record_id)
    now = now or utcnow()
    record = _lock(record)
    if (
        record.state != "pending_confirmation"
        or record.client_deadline > now
        or "client" in _confirmed_parties(record.id)
    ):
        return None
    return confirm(record, Decision("client", "auto_window", SYSTEM), now)


# --- the platform's resolution ---------------------------------------------------------------------


@dataclass(frozen=True)
class Adjustment:
    reason: str
    remove_order_ids: list[int]
    remove_item_ids: list[int]
    rerate: list[dict]  # [{order_id, points}]


def adjust(record: DailyWorkRecord, change: Adjustment, admin_id: int, now=None) -> DailyWorkRecord:
    """A new version of a disputed record with orders or items removed or re-rated."""
    record = _lock(record)
    if record.state != "disputed":
        raise Conflict(f"only a disputed record is adjusted; this one is {record.state}", state=record.state)
    lines = _adjusted_lines(record, change)
    now = now or utcnow()
    note = {
        "by_user_id": admin_id,
        "reason": change.reason,
        "from_version": record.version,
        "removed_order_ids": sorted(change.remove_order_ids),
        "removed_item_ids": sorted(change.remove_item_ids),
        "rerated": [{"order_id": r["order_id"], "points": r["points"]} for r in change.rerate],
        "at": now,
    }
    body = daily.content(
        org_id=record.org_id,
        technician_id=record.technician_id,
        work_date=record.work_date,
        version=record.version + 1,
        lines=lines,
        supersedes_id=record.id,
        adjustment=note,
    )
    record.state = "superseded"
    db.session.flush()  # the live version is unique: retire the old one first
    (row,) = records.insert_records([body], now, records.confirm_window(record.org_id))
    records.announce(record.org_id, [row])
    return db.session.get(DailyWorkRecord, row["id"])


def _adjusted_lines(record: DailyWorkRecord, change: Adjustment) -> list[dict]:
    orders = {line["order_id"]: line for line in record.lines if line["kind"] == "order"}
    items = {line["item_id"]: line for line in record.lines if line["kind"] == "work_item"}
    errors = [
        field_error(f"remove_order_ids.{i}", "not an order of this record")
        for i, o in enumerate(change.remove_order_ids)
        if o not in orders
    ]
    errors += [
        field_error(f"remove_item_ids.{i}", "not a work item of this record")
        for i, o in enumerate(change.remove_item_ids)
        if o not in items
    ]
    for i, rerate in enumerate(change.rerate):
        if rerate["order_id"] not in orders or rerate["order_id"] in change.remove_order_ids:
            errors.append(field_error(f"rerate.{i}.order_id", "not an order of this record that stays in it"))
    if not (change.remove_order_ids or change.remove_item_ids or change.rerate):
        errors.append(field_error("rerate", "remove or re-rate at least one order or item"))
    if errors:
        raise ValidationFailed("the adjustment does not fit this record", errors=errors)
    new_points = {r["order_id"]: Decimal(r["points"]) for r in change.rerate}
    kept = [
        daily.rerated(line, new_points[o]) if o in new_points else line
        for o, line in orders.items()
        if o not in change.remove_order_ids
    ]
    return kept + [line for i, line in items.items() if i not in change.remove_item_ids]


# --- seals ----------------------------------------------------------------------------------------


def signed_payload(confirmation: RecordConfirmation) -> dict:
    """What the platform signed for a confirmation (to verify with its public key)."""
    return _payload(confirmation.record_digest, confirmation.party, confirmation.decision, confirmation.at)


def verify(confirmation: RecordConfirmation, public_key: bytes) -> bool:
    return esign.verify(signed_payload(confirmation), confirmation.signature, public_key, SIGNED_FIELDS)


def _payload(record_digest, party, decision, at: datetime) -> dict:
    at_text = json.loads(canonical_json(at))  # UTC with Z, as the record's digest writes times
    return {"record_digest": record_digest, "party": party, "decision": decision, "at": at_text}


def _seal(record, who: Decision, decision, at, *, reason=None, order_ids=()) -> RecordConfirmation:
    seal = esign.platform_signer().seal(_payload(record.digest, who.party, decision, at), SIGNED_FIELDS)
    confirmation = RecordConfirmation(
        record_id=record.id,
        party=who.party,
        decision=decision,
        reason=reason,
        disputed_order_ids=list(order_ids),
        channel=who.channel,
        actor_kind=who.actor[0],
        actor_id=who.actor[1],
        at=at,
        record_digest=record.digest,
        provider=seal.provider,
        key_id=seal.key_id,
        signature=seal.signature,
    )
    db.session.add(confirmation)
    db.session.flush()
    return confirmation


# --- state -------------------------------------------------------------------------------------------


def _lock(record: DailyWorkRecord) -> DailyWorkRecord:
    return db.session.scalar(
        select(DailyWorkRecord)
        .where(DailyWorkRecord.id == record.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _require_open(record: DailyWorkRecord, party: str):
    """409 unless the record waits for this party's word."""
    if record.state == "superseded":
        newer = db.session.scalar(select(DailyWorkRecord.id).where(DailyWorkRecord.supersedes_id == record.id))
        raise Conflict(
            f"version {record.version} was superseded; confirm the newer version",
            state=record.state,
            superseded_by_id=newer,
        )
    if record.state != "pending_confirmation":
        raise Conflict(f"the record is {record.state}; it takes no more decisions", state=record.state)
    if party in _confirmed_parties(record.id, any_decision=True):
        raise Conflict(f"the {party} has already decided on this record version", state=record.state, party=party)


def _confirmed_parties(record_id: int, *, any_decision=False) -> set[str]:
    stmt = select(RecordConfirmation.party).where(RecordConfirmation.record_id == record_id)
    if not any_decision:
        stmt = stmt.where(RecordConfirmation.decision == "confirm")
    return set(db.session.scalars(stmt))


def history(record: DailyWorkRecord) -> dict:
    """The confirmations of this version and the id of the version that superseded it, if any."""
    confirmations = db.session.scalars(
        select(RecordConfirmation).where(RecordConfirmation.record_id == record.id).order_by(RecordConfirmation.id)
    ).all()
    newer = db.session.scalar(select(DailyWorkRecord.id).where(DailyWorkRecord.supersedes_id == record.id))
    return {"confirmations": confirmations, "superseded_by_id": newer}


def view(record: DailyWorkRecord, outcome: Outcome | None = None) -> dict:
    """The record as RecordOut shows it: its columns, what the client pays, its confirmations, the
    version that superseded it, and why it is not final yet if the ledger refused to post it."""
    columns = {column.name: getattr(record, column.name) for column in DailyWorkRecord.__table__.columns}
    refused = outcome.finalization_refused.problem() if outcome and outcome.finalization_refused else None
    return columns | {"client_total_fen": record.client_total_fen, "finalization_refused": refused} | history(record)
