"""A day close through finalization: 20,000 technician-days (100,000 verified orders) of one
client closed into daily work records and posted to the ledger. Goal (issue 11): <= 60 s.

Set-up (not in the goal, timed apart): a new client with money terms, --technicians technicians,
--orders verified orders spread over them, each with the open reservation its publishing left
(a pending ledger transfer), and funds enough for the day. All inserted with bulk SQL.

Timed phases, the application's own code paths:
- close: `backend.money.records.close_day` (the 23:59 job's work) writes one record per
  technician-day with its lines, totals and digest, queues the `work_record.ready` webhook and a
  `daily_record` push per record (the push jobs are enqueued at the commit, not run here);
- finalize: the records marked finalized with one UPDATE (the three parties' signed
  confirmations are per record in production and not part of this figure);
- post: `backend.money.settlement.post_records` in batches of --batch records, one transaction
  each: releases of 100,000 reservations, pay, fee, insurance and tax legs, tax figures,
  withholdings and markers.

Prints one JSON object: seconds per phase (and per step inside post), records, ledger
transfers written, rates, the load average, and the CPU seconds the timed part used in this
process and in its database backend (when the server runs on this machine): the seconds grow
with other work on a shared machine, the CPU does not. It writes into the development database
(DATABASE_URL) and leaves its client, technicians, orders and postings there, as a ledger must;
run the migrations first.

    scripts/with-env.sh .venv/bin/python bench/day_close.py [--technicians 20000] [--orders 100000]
"""

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text, update  # noqa: E402

from backend.app import create_app  # noqa: E402
from backend.extensions import db  # noqa: E402
from backend.models import (  # noqa: E402
    DailyWorkRecord,
    LedgerTransfer,
    Order,
    OrderEvent,
    Organization,
    RateCard,
    Technician,
    User,
)
from backend.models.settlement import OrderReservation  # noqa: E402
from backend.money import ledger, records, settlement  # noqa: E402
from backend.money.accounts import Kind, Owner  # noqa: E402
from backend.money.ledger import Transfer  # noqa: E402
from backend.orders.points import DEFAULT_TERMS  # noqa: E402
from bench.backend_cpu import backend_cpu_s  # noqa: E402

WORK_DATE = date(2026, 11, 30)
ZONE = "Asia/Shanghai"
TERMS = {**DEFAULT_TERMS, "fen_per_point": "100", "fee_bps": 1000, "insurance_premium_fen": 50}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technicians", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500, help="records per posting transaction")
    parser.add_argument("--seed", type=int, default=11)
    return parser.parse_args()


class Clock:
    """Seconds spent per named phase."""

    def __init__(self):
        self.spent = defaultdict(float)

    def timed(self, name, fn, *args, **kwargs):
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        self.spent[name] += time.perf_counter() - start
        return result


# ---------------------------------------------------------------- set-up (bulk SQL)


def set_up(args, rng) -> tuple[int, list[int]]:
    """A funded client, its technicians, and its verified orders with their open reservations."""
    now = datetime.now(UTC)
    org = Organization(name=f"bench-day-close-{uuid.uuid4().hex[:8]}", kind="client", timezone=ZONE)
    db.session.add(org)
    db.session.flush()
    card = RateCard(org_id=org.id, version=1, terms=TERMS)
    db.session.add(card)
    db.session.flush()
    technicians = _technicians(args.technicians, org.id, now)
    orders = _verified_orders(args, rng, org.id, card.id, technicians, now)
    reserved = _reservations(org.id, orders)
    settlement.record_funding(org.id, reserved * 3, f"bench-{org.name}")
    db.session.commit()
    return org.id, technicians


def _technicians(count, tag, now) -> list[int]:
    users = [
        dict(
            phone=None,
            email=f"bench-{tag}-{i}@bench.invalid",
            name=f"Bench {i}",
            role="technician",
            password_hash="!",
            is_active=True,
            created_at=now,
            updated_at=now,
        )
        for i in range(count)
    ]
    user_ids = db.session.scalars(insert(User).returning(User.id, sort_by_parameter_order=True), users).all()
    rows = [dict(user_id=u, created_at=now, updated_at=now) for u in user_ids]
    return list(db.session.scalars(insert(Technician).returning(Technician.id, sort_by_parameter_order=True), rows))


def _verified_orders(args, rng, org_id, card_id, technicians, now) -> list[tuple[int, int]]:
    """(order id, estimated cost) of each verified order, verified during WORK_DATE (Beijing)."""
    start = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)  # 09:00 Beijing
    rows = []
    for i in range(args.orders):
        centi = rng.randrange(500, 3000)
        rows.append(
            dict(
                org_id=org_id,
                client_ref=f"bench-{i}",
                kind="project",
                status="verified",
                dispatch_mode="grab",
                priority="normal",
                time_windows=[],
                standard_duration_min=60,
                work_type="fibre_repair",
                attachments=[],
                technician_id=technicians[i % len(technicians)],
                points_centi=centi,
                rate_card_id=card_id,
                created_at=now,
                updated_at=now,
            )
        )
    ids = db.session.scalars(insert(Order).returning(Order.id, sort_by_parameter_order=True), rows).all()
    events = [
        dict(
            order_id=order_id,
            action="verified",
            from_status="delivered",
            to_status="verified",
            actor_kind="user",
            created_at=start + timedelta(seconds=rng.randrange(12 * 3600)),
        )
        for order_id in ids
    ]
    db.session.execute(insert(OrderEvent), events)
    return [
        (order_id, row["points_centi"] + row["points_centi"] // 10) for order_id, row in zip(ids, rows, strict=True)
    ]


def _reservations(org_id, orders) -> int:
    """Each order's pending reservation (funds -> reserved), as publishing left it."""
    funds = settlement.funds_account(org_id)
    reserved = ledger.open_account(db.session, Kind.RESERVED, Owner.ORGANIZATION, org_id)
    total = sum(cost for _, cost in orders)
    settlement.record_funding(org_id, total, f"bench-pre-{org_id}")  # what the client had when it published
    for chunk in range(0, len(orders), 5_000):
        part = orders[chunk : chunk + 5_000]
        ledger.apply_transfers(
            db.session,
            [
                Transfer(f"res:{o}:1", funds.id, reserved.id, cost, "reservation", pending=True, reference=f"order:{o}")
                for o, cost in part
            ],
        )
    now = datetime.now(UTC)
    db.session.execute(
        insert(OrderReservation),
        [
            dict(
                order_id=o,
                org_id=org_id,
                version=1,
                transfer_id=f"res:{o}:1",
                amount_fen=cost,
                state="open",
                estimate={"bench": True},
                updated_at=now,
            )
            for o, cost in orders
        ],
    )
    return total


# ---------------------------------------------------------------- the timed day close


def close_and_post(args, org_id, clock) -> dict:
    cutoff = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # 2026-12-01 00:00 Beijing
    _instrument_close(clock)
    closed = clock.timed("close", records.close_day, org_id, WORK_DATE, now=cutoff)
    clock.timed("close", db.session.commit)
    finalize = (
        update(DailyWorkRecord)
        .where(DailyWorkRecord.org_id == org_id, DailyWorkRecord.work_date == WORK_DATE)
        .values(state="finalized", finalized_at=cutoff + timedelta(hours=1))
    )
    clock.timed("finalize", db.session.execute, finalize)
    clock.timed("finalize", db.session.commit)
    ids = db.session.scalars(
        select(DailyWorkRecord.id).where(DailyWorkRecord.org_id == org_id).order_by(DailyWorkRecord.id)
    ).all()
    refused = 0
    _instrument(clock)
    for chunk in range(0, len(ids), args.batch):
        batch = clock.timed("post.load", _load, ids[chunk : chunk + args.batch])
        outcome = clock.timed("post", settlement.post_records, batch, now=cutoff + timedelta(hours=1))
        clock.timed("post.commit", db.session.commit)
        db.session.expunge_all()
        refused += len(outcome.refused)
    return {"records": closed.records if hasattr(closed, "records") else len(ids), "refused": refused}


def _load(ids):
    return list(
        db.session.scalars(select(DailyWorkRecord).where(DailyWorkRecord.id.in_(ids)).order_by(DailyWorkRecord.id))
    )


def _instrument_close(clock):
    """Time the steps inside close_day (pricing, record rows, webhook and push outboxes)."""
    for owner, name in (
        (records, "day_bodies"),
        (records, "insert_records"),
        (records, "queue_events"),
        (records, "notify_technicians"),
    ):
        setattr(owner, name, _timed(clock, f"close.{name}", getattr(owner, name)))


def _instrument(clock):
    """Time the steps inside post_records (ledger, tax, writes) without changing them."""
    for owner, name in (
        (ledger, "apply_transfers"),
        (settlement, "_withhold"),
        (settlement, "_save_postings"),
        (settlement, "_Books"),
        (settlement, "_open_reservations"),
    ):
        original = getattr(owner, name)
        setattr(owner, name, _timed(clock, f"post.{name.strip('_')}", original))


def _timed(clock, label, fn):
    def wrapper(*args, **kwargs):
        return clock.timed(label, fn, *args, **kwargs)

    return wrapper


def _cpu_spent(before, after, same_backend) -> dict:
    """CPU of the timed part: this process and its database backend. Unlike the seconds, these do
    not grow with other work on the machine; their sum is what the close needs of the cores."""
    bench = round(after[0] - before[0], 2)
    database = round(after[1] - before[1], 2) if same_backend and None not in (before[1], after[1]) else None
    total = round(bench + database, 2) if database is not None else None
    return {"bench_process": bench, "database_backend": database, "total": total}


def main():
    args = parse_args()
    rng = random.Random(args.seed)
    app = create_app({"SOCKETIO_MESSAGE_QUEUE": False})
    load_before = os.getloadavg()
    with app.app_context():
        clock = Clock()
        org_id, _ = clock.timed("setup", set_up, args, rng)
        before = db.session.scalar(select(func.max(LedgerTransfer.seq))) or 0
        backend = db.session.scalar(text("SELECT pg_backend_pid()"))
        cpu_before = (time.process_time(), backend_cpu_s(backend))
        counts = close_and_post(args, org_id, clock)
        same_backend = db.session.scalar(text("SELECT pg_backend_pid()")) == backend
        cpu_s = _cpu_spent(cpu_before, (time.process_time(), backend_cpu_s(backend)), same_backend)
        written = db.session.scalar(select(func.count()).select_from(LedgerTransfer).where(LedgerTransfer.seq > before))
    timed = (
        clock.spent["close"]
        + clock.spent["finalize"]
        + clock.spent["post"]
        + clock.spent["post.load"]
        + clock.spent["post.commit"]
    )
    print(
        json.dumps(
            {
                "technician_days": args.technicians,
                "orders": args.orders,
                "batch": args.batch,
                **counts,
                "ledger_transfers_written": written,
                "seconds": {k: round(v, 2) for k, v in sorted(clock.spent.items())},
                "day_close_through_finalization_s": round(timed, 2),
                "cpu_s": cpu_s,
                "goal_s": 60,
                "goal_met": timed <= 60,
                "records_per_s": round(counts["records"] / timed, 1) if timed else None,
                "load_average_before": load_before,
                "load_average_after": os.getloadavg(),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
