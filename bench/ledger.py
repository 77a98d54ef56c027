"""Ledger throughput: transfers per second with a few hot accounts and many cold ones.

Every transfer moves a random amount from one of --hot client accounts (funds) to one of --cold
technician accounts (payable), through `backend.money.ledger` exactly as the application calls
it, each call in its own transaction with a commit, from --processes processes (as the web and
job workers that call it are) of --workers threads each (one connection per thread).

- single: one transfer per call (apply_transfers + commit);
- batch: --batch transfers per call (create_transfers + commit).

Prints one JSON object: per mode, transfers, seconds, transfers/s, call latency percentiles,
refusals; and the load average before and after. The goal (issue 11) is >= 1,000 transfers/s.

    scripts/with-env.sh .venv/bin/python bench/ledger.py [--database-url URL] [--seconds 10]

It works in the development database (DATABASE_URL) on accounts of its own: owners numbered from
10^12 (no real organization or technician) and a money source of its own (a platform account
with owner id -1, which the application never opens). It leaves those accounts and its transfers
(code "bench") behind, as a ledger must; it changes no other account. Run the migrations first.
"""

import argparse
import json
import multiprocessing
import os
import random
import sys
import threading
import time
import uuid
from pathlib import Path

from dotenv import load_dotenv
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.money import ledger  # noqa: E402
from backend.money.accounts import CHART, Kind, Owner  # noqa: E402
from backend.money.ledger import Transfer  # noqa: E402
from bench.backend_cpu import backend_cpu_s  # noqa: E402

BENCH_OWNERS = 10**12
BENCH_SOURCE_OWNER = -1
HOT_FUNDING = 10**15  # fen per hot account, far more than any run spends


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL from the environment or .env")
    parser.add_argument("--hot", type=int, default=10)
    parser.add_argument("--cold", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--processes", type=int, default=os.cpu_count(), help="default: one per core")
    parser.add_argument("--workers", type=int, default=4, help="threads per process, one connection each")
    parser.add_argument("--seconds", type=float, default=10.0, help="per mode")
    parser.add_argument("--modes", default="single,batch")
    return parser.parse_args()


def database_url(args) -> str:
    load_dotenv(ROOT / ".env", override=False)
    url = args.database_url or os.environ.get("DATABASE_URL")
    if not url:
        sys.exit("no database: pass --database-url or set DATABASE_URL (.env)")
    return url


def prepare(engine, hot: int, cold: int) -> tuple[list[int], list[int]]:
    """The bench's own accounts (opened once, reused by later runs); hot accounts funded."""
    with Session(engine) as session:
        source = _bench_source(session)
        hot_ids = [
            ledger.open_account(session, Kind.FUNDS, Owner.ORGANIZATION, BENCH_OWNERS + i).id for i in range(hot)
        ]
        cold_ids = _open_cold(session, cold)
        accounts = ledger.get_accounts(session, hot_ids)
        top_ups = [
            Transfer(f"bench-fund-{uuid.uuid4()}", source, a, HOT_FUNDING, "bench")
            for a in hot_ids
            if accounts[a].available < HOT_FUNDING // 2
        ]
        ledger.apply_transfers(session, top_ups)
        session.commit()
    return hot_ids, cold_ids


def _bench_source(session) -> int:
    """A debit-normal source of money that belongs to no one real (platform owner -1)."""
    session.execute(
        text(
            "INSERT INTO ledger_accounts (kind, owner_type, owner_id, currency, debits_must_not_exceed_credits,"
            " credits_must_not_exceed_debits, debits_posted, debits_pending, credits_posted, credits_pending,"
            " created_at, updated_at) VALUES ('custody_bank', 'platform', :owner, 'CNY', false, true, 0, 0, 0, 0,"
            " now(), now()) ON CONFLICT ON CONSTRAINT uq_ledger_accounts_owner_kind DO NOTHING"
        ),
        {"owner": BENCH_SOURCE_OWNER},
    )
    return session.scalar(
        text("SELECT id FROM ledger_accounts WHERE owner_type = 'platform' AND owner_id = :owner"),
        {"owner": BENCH_SOURCE_OWNER},
    )


def _open_cold(session, count) -> list[int]:
    """The technicians' payable accounts, opened in one statement with the chart's flags."""
    rule = CHART[Kind.PAYABLE]
    session.execute(
        text(
            "INSERT INTO ledger_accounts (kind, owner_type, owner_id, currency, debits_must_not_exceed_credits,"
            " credits_must_not_exceed_debits, debits_posted, debits_pending, credits_posted, credits_pending,"
            " created_at, updated_at) SELECT 'payable', 'technician', n, 'CNY', :dmnec, :cmned, 0, 0, 0, 0,"
            " now(), now()"
            " FROM generate_series(:low, :high - 1) AS n"
            " ON CONFLICT ON CONSTRAINT uq_ledger_accounts_owner_kind DO NOTHING"
        ),
        {
            "low": BENCH_OWNERS,
            "high": BENCH_OWNERS + count,
            "dmnec": rule.debits_must_not_exceed_credits,
            "cmned": rule.credits_must_not_exceed_debits,
        },
    )
    session.commit()
    return session.scalars(
        text(
            "SELECT id FROM ledger_accounts WHERE owner_type = 'technician' AND kind = 'payable'"
            " AND owner_id >= :low AND owner_id < :high ORDER BY owner_id"
        ),
        {"low": BENCH_OWNERS, "high": BENCH_OWNERS + count},
    ).all()


def run_mode(url, mode, args, hot_ids, cold_ids) -> dict:
    """--processes processes call the ledger back to back for --seconds; the mode's figures."""
    per_call = 1 if mode == "single" else args.batch
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    ready = context.Barrier(args.processes)  # all begin together, once every process is up
    processes = [
        context.Process(
            target=_calling_process,
            args=(url, per_call, args.workers, hot_ids, cold_ids, seed, ready, args.seconds, answers),
        )
        for seed in range(args.processes)
    ]
    for process in processes:
        process.start()
    latencies, transfers, refused, answer_seconds, cpu = [], 0, 0, [], {"caller": 0.0, "database": 0.0}
    for _ in processes:
        answer = answers.get()
        answer_seconds.append(answer["seconds"])
        cpu["caller"] += answer["caller_cpu_s"]
        cpu["database"] += answer["database_cpu_s"]
        latencies += answer["latencies"]
        transfers += answer["transfers"]
        refused += answer["refused"]
    for process in processes:
        process.join()
    seconds = max(answer_seconds)
    return {
        "mode": mode,
        "transfers_per_call": per_call,
        "calls": len(latencies),
        "transfers": transfers,
        "refused": refused,
        "seconds": round(seconds, 2),
        "transfers_per_s": round(transfers / seconds, 1),
        "call_ms": _percentiles(latencies),
        # CPU per transfer of the callers (these processes) and of their database backends: unlike
        # transfers/s, these do not move with other work on the machine (backends counted only
        # when the server runs here, else 0)
        "cpu_ms_per_transfer": {k: round(1000 * v / max(transfers, 1), 3) for k, v in cpu.items()},
    }


def _calling_process(url, per_call, workers, hot_ids, cold_ids, seed, ready, seconds, answers):
    """One process of --workers threads calling the ledger for `seconds`, once all processes are up."""
    engine = create_engine(url, pool_size=workers, max_overflow=0)
    ready.wait()
    began = time.perf_counter()
    stop_at = time.time() + seconds
    latencies, counts, lock = [], {"transfers": 0, "refused": 0, "database_cpu_s": 0.0}, threading.Lock()
    own_cpu = time.process_time()

    def worker(thread_seed):
        rng = random.Random(thread_seed)
        with Session(engine) as session:
            backend = session.scalar(text("SELECT pg_backend_pid()"))
            session.commit()
            backend_cpu = backend_cpu_s(backend)
            while time.time() < stop_at:
                specs = [
                    Transfer(
                        f"bench-{uuid.uuid4()}",
                        rng.choice(hot_ids),
                        rng.choice(cold_ids),
                        rng.randint(1, 10_000),
                        "bench",
                    )
                    for _ in range(per_call)
                ]
                started = time.perf_counter()
                results = ledger.create_transfers(session, specs)
                session.commit()
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    counts["transfers"] += sum(r.result == "ok" for r in results)
                    counts["refused"] += sum(r.result != "ok" for r in results)
            spent = backend_cpu_s(backend)
            with lock:
                counts["database_cpu_s"] += spent - backend_cpu if None not in (spent, backend_cpu) else 0.0

    threads = [threading.Thread(target=worker, args=(seed * 1000 + n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds, own_cpu = time.perf_counter() - began, time.process_time() - own_cpu
    answers.put({"latencies": latencies, "seconds": seconds, "caller_cpu_s": own_cpu, **counts})
    engine.dispose()


def _percentiles(latencies) -> dict:
    ordered = sorted(latencies)
    if not ordered:
        return {}
    pick = lambda q: round(1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)  # noqa: E731
    return {"p50": pick(0.50), "p95": pick(0.95), "p99": pick(0.99), "max": pick(1.0)}


def main():
    args = parse_args()
    url = database_url(args)
    engine = create_engine(url)
    load_before = os.getloadavg()
    hot_ids, cold_ids = prepare(engine, args.hot, args.cold)
    modes = [run_mode(url, mode, args, hot_ids, cold_ids) for mode in args.modes.split(",")]
    print(
        json.dumps(
            {
                "bench": "ledger",
                "hot_accounts": args.hot,
                "cold_accounts": args.cold,
                "processes": args.processes,
                "threads_per_process": args.workers,
                "cpus": os.cpu_count(),
                "load_average_before": [round(x, 2) for x in load_before],
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
                "modes": modes,
                "goal_transfers_per_s": 1000,
            }
        )
    )
    engine.dispose()


if __name__ == "__main__":
    main()
