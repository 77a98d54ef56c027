"""Live-tracking load benchmark: N technicians stream fixes over Socket.IO while consoles watch.

Starts the web process(es) and the track writer as the Procfile does (unless --url),
creates N bench technicians (approved, consenting, on shift, in one region), connects
them as phones that each send a batch of --batch fixes every --batch x --interval seconds
for --seconds, with --consoles platform-admin consoles connected to the first web process.
Then it waits for the writer to drain and counts the fixes in PostGIS. Prints one JSON
line per run: fixes sent / acknowledged / persisted / lost, offered and acknowledged fixes/s,
send -> console latency percentiles, fixes seen by the consoles, CPU per process, the load
average before and after.

    scripts/with-env.sh .venv/bin/python bench/tracking.py --technicians 1000 --interval 1 \\
        --batch 10 --seconds 20 --consoles 2 [--web-processes 2] [--generators 2] [--runs 3]

--runs N: N runs in a row (the technicians prepared once, the service started afresh for each
run); --keep-on-shift leaves the bench technicians on shift for the next series (by default they
go off shift and withdraw consent at the end). BENCH_LOG_DIR=dir keeps the processes' output and
a per-second latency log there.

Phones and consoles are bench/wire.py clients: the Socket.IO protocol on a raw WebSocket,
the same packets, auth and acks as python-socketio's client, at a fraction of its CPU (the
load generator must not be what is measured). The phones run in --generators processes
(default: one per core), the consoles in this process, so a console's receive time is
never delayed by the phones' work.
--web-processes N starts N web processes (each with WEB_PROCESSES gunicorn workers, as the
Procfile runs it) on their own ports and spreads the phones over them
as a plain load balancer would (WebSocket only: no stickiness); the consoles are on the first.
CPU is counted from the first send to the last console update; cpu_s_per_1000_fixes is each
process's cost, which does not depend on how busy the machine is.

Latency is measured on the newest fix of each batch (its time is the send time) when
its console update arrives; with --console-interval-ms 0 (the default here) every batch
produces one update, so the console must see every acknowledged fix.
"""

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from backend.gunicorn_conf import WEB_GC_THRESHOLDS  # noqa: E402
from backend.realtime import CONSOLE, TECHNICIAN  # noqa: E402
from bench.wire import ConnectError, WireClient  # noqa: E402
from tests.live import free_port, procfile_command, stop, wait_until_healthy  # noqa: E402

# --- bench data --------------------------------------------------------------------------------


def prepare(count):
    """Bench technicians on shift with consent, and an admin console token: (tokens by id, admin token)."""
    from backend.app import create_app

    app = create_app()
    with app.app_context():
        return _prepare(count)


def _prepare(count):
    from flask_jwt_extended import create_access_token
    from shapely.geometry import box

    from backend.extensions import db
    from backend.models import Region
    from backend.places.service import set_region_geometry
    from backend.seed.demo_city import ensure_platform_user
    from backend.tracking import state as tracking_state

    region = db.session.query(Region).filter_by(code="BENCH").one_or_none()
    if region is None:
        region = Region(code="BENCH", name="bench", level="city", coefficient="1.000")
        set_region_geometry(region, box(103.9, 30.5, 104.3, 30.8))
        db.session.add(region)
        db.session.flush()
    ids = _bench_technicians(count, region)
    ready = _ready_to_track([tid for tid, _ in ids])
    for tid, _ in ids:  # through the domain functions (database and cache), only where needed
        if tid not in ready:
            tracking_state.grant_consent(tid, device="bench")
            tracking_state.rebuild(tid)
            tracking_state.set_status(tid, "on_shift")
    db.session.commit()
    admin = ensure_platform_user("bench-admin@gridwork.demo", "Bench admin", "bench-password-123", "platform_admin")
    tokens = {tid: create_access_token(str(uid), additional_claims={"role": "technician"}) for tid, uid in ids}
    return tokens, create_access_token(str(admin.id), additional_claims={"role": "platform_admin"})


def _bench_technicians(count, region):
    """[(technician id, user id)] of bench technicians 0 .. count-1, created when missing
    (read in one query: thousands of single look-ups took minutes on a busy machine)."""
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import Technician, TechnicianProfile, TechnicianRegion, User

    phones = [f"1380000{i:04d}" for i in range(count)]

    def existing():
        rows = db.session.execute(
            select(User.phone, Technician.id, User.id)
            .join(Technician, Technician.user_id == User.id)
            .where(User.phone.in_(phones))
        )
        return {phone: (tid, uid) for phone, tid, uid in rows}

    found = existing()
    for i, phone in enumerate(phones):
        if phone not in found:
            user = User(phone=phone, name=f"bench {i}", role="technician", password_hash="x")
            technician = Technician(user=user)
            db.session.add(technician)
            db.session.flush()
            db.session.add(TechnicianProfile(technician_id=technician.id, status="approved"))
            db.session.add(TechnicianRegion(technician_id=technician.id, region_id=region.id, state="active"))
    db.session.commit()
    found = existing()
    return [found[phone] for phone in phones]


def _ready_to_track(technician_ids):
    """The technicians already on shift with an open consent (a series run with --keep-on-shift)."""
    from sqlalchemy import text

    from backend.extensions import db

    rows = db.session.execute(
        text(
            "SELECT e.technician_id FROM (SELECT DISTINCT ON (technician_id) technician_id, value "
            "FROM technician_events WHERE kind = 'status' AND technician_id = ANY(:ids) "
            "ORDER BY technician_id, at DESC, id DESC) e "
            "JOIN location_consents c ON c.technician_id = e.technician_id AND c.withdrawn_at IS NULL "
            "WHERE e.value = 'on_shift'"
        ),
        {"ids": list(technician_ids)},
    )
    return set(rows.scalars())


def warm_state(technician_ids, run_s=180):
    """Every bench technician's tracking state cached in Redis for longer than a run: a cache that
    expires mid-run is rebuilt from the database on the phone's next fix, and thousands at once
    measure that, not the steady state (they are spread in time: `state.cache_ttl`)."""
    from backend.app import create_app
    from backend.redis_client import get_redis
    from backend.tracking import state as tracking_state

    with create_app().app_context():
        pipe = get_redis().pipeline(transaction=False)
        for tid in technician_ids:
            pipe.ttl(tracking_state.key(tid))
        for tid, ttl in zip(technician_ids, pipe.execute(), strict=True):
            if ttl < run_s:  # missing (-2) or about to expire
                tracking_state.rebuild(tid)


def retire(technician_ids):
    """Bench technicians leave the live map and the simulator's pick when the run ends."""
    from backend.app import create_app
    from backend.extensions import db
    from backend.tracking import state as tracking_state

    with create_app().app_context():
        for tid in technician_ids:
            tracking_state.set_status(tid, "off_shift")
            tracking_state.withdraw_consent(tid)
        db.session.commit()


def count_persisted(run_id):
    from sqlalchemy import text

    from backend.app import create_app
    from backend.extensions import db

    with create_app().app_context():
        return db.session.execute(
            text("SELECT count(*) FROM track_points WHERE client_id LIKE :p"), {"p": f"{run_id}-%"}
        ).scalar()


def backlog():
    from backend.app import create_app
    from backend.tracking.store import backlog as stream_backlog

    with create_app().app_context():
        return stream_backlog()


def with_retries(step, *args, attempts=10):
    """A bench step that talks to PostgreSQL, tried again while the server refuses connections
    (a shared server may have no connection slot free for a moment)."""
    from sqlalchemy.exc import OperationalError

    for attempt in range(attempts):
        try:
            return step(*args)
        except OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(2 + attempt)


# --- processes ---------------------------------------------------------------------------------


def start_process(name, console_interval_ms, **env):
    environment = {**os.environ, "TRACK_CONSOLE_INTERVAL_MS": str(console_interval_ms), **env}
    log_dir = os.environ.get("BENCH_LOG_DIR")  # keep the processes' output when asked
    output = open(Path(log_dir) / f"{name}{env.get('PORT', '')}.log", "w") if log_dir else subprocess.DEVNULL
    return subprocess.Popen(
        ["bash", "-c", f"exec {procfile_command(name)}"],
        cwd=ROOT,
        env=environment,
        stdout=output,
        stderr=output,
        start_new_session=True,
    )


def start_service(web_processes, console_interval_ms, technicians):
    """Web processes on free ports and one writer: ({name: Popen}, [urls])."""
    processes, urls = {}, []
    # gunicorn's gevent worker refuses connections past worker_connections: room for every phone.
    connections = str(max(2000, technicians // web_processes + 500))
    for index in range(web_processes):
        port = free_port()
        processes[f"web{index + 1}"] = start_process(
            "web", console_interval_ms, PORT=str(port), WEB_CONNECTIONS=connections
        )  # with WEB_PROCESSES workers sharing the port, as deployed (default: half the cores)
        urls.append(f"http://127.0.0.1:{port}")
    processes["tracker"] = start_process("tracker", console_interval_ms)
    for name, url in zip(processes, urls, strict=False):
        wait_until_healthy(url, processes[name], timeout=60)
    return processes, urls


def process_tree(popen):
    root = psutil.Process(popen.pid)
    return [root, *root.children(recursive=True)]


def services_by_name():
    """The PostgreSQL backends serving this database and the Redis server on this port: other
    databases and Redis servers on the machine are other work and do not count."""
    from redis.connection import parse_url
    from sqlalchemy.engine import make_url

    database = make_url(os.environ["DATABASE_URL"]).database
    redis_port = str(parse_url(os.environ["REDIS_URL"]).get("port", 6379))
    found = {"postgres": [], "redis": []}
    for proc in psutil.process_iter(["name", "cmdline"]):
        name, command = proc.info["name"] or "", " ".join(proc.info["cmdline"] or [])
        if name.startswith("postgres") and f" {database} " in command:
            found["postgres"].append(proc)
        elif name.startswith("redis-server") and f":{redis_port}" in command:
            found["redis"].append(proc)
    return found


def cpu_by_pid(processes):
    """CPU seconds per process id (processes that are gone are skipped)."""
    seconds = {}
    for proc in processes:
        try:
            times = proc.cpu_times()
            seconds[proc.pid] = times.user + times.system
        except psutil.Error:
            pass
    return seconds


def cpu_used(before, after):
    # Backends that started during the run count from zero.
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


# --- load --------------------------------------------------------------------------------------


class Stats:
    def __init__(self):
        self.sent = self.acked = self.console_fixes = 0
        self.latencies = []
        self.errors = []
        self.last_ack = 0.0
        self.late = []  # generator: how late each batch went out (its own event loop's lag)
        self.received = []  # console: when each update arrived (for the per-second log)


class Phone:
    """One phone's schedule: a batch of --batch fixes every --batch x --interval seconds from
    window[0] until window[1] (epoch seconds), each sent after the previous one's ack, as the app
    does. Driven by timer and ack callbacks: no task or future per phone or message, so that
    thousands of phones cost their generator little."""

    def __init__(self, client, tid, args, run_id, window, stats):
        self.client, self.tid, self.run_id, self.window, self.stats = client, tid, run_id, window, stats
        self.batch, self.interval, self.period = args.batch, args.interval, args.batch * args.interval
        self.seq, self.lon = 0, 104.0 + (tid % 1000) * 1e-4
        self.sent_at = None  # while a batch waits for its ack
        self.finished = False

    def start(self):
        # Phones send independently of each other: a random (seeded) phase over the period, not a few
        # dozen phones in lockstep (tid % 97 before: bursts of 50 messages at 5,000 phones).
        offset = random.Random(self.tid).random() * self.period
        self.schedule(max(0.0, self.window[0] - time.time()) + offset)

    def schedule(self, delay):
        self.due = time.time() + delay
        asyncio.get_running_loop().call_later(delay, self.send)

    def send(self):
        started = time.time()  # the newest fix's time is its send time: the latency starts here
        if started >= self.window[1]:
            self.finished = True
            return
        batch = []
        for k in range(self.batch):  # the phone buffered these over the last period
            batch.append(
                {
                    "id": f"{self.run_id}-{self.tid}-{self.seq}",
                    "time": started - (self.batch - 1 - k) * self.interval,
                    "lon": self.lon + self.seq * 1e-5,
                    "lat": 30.6,
                    "accuracy": 5,
                }
            )
            self.seq += 1
        self.stats.sent += len(batch)
        self.stats.late.append(started - self.due)
        self.sent_at = started
        self.client.call_back(self.acked, "location", batch)

    def acked(self, ack, error):
        if self.sent_at is None:
            return  # the ack of a batch already given up (timed out)
        if error is None:
            self.stats.acked += len(ack.get("accepted", []))
            self.stats.last_ack = time.time()
            if ack.get("error"):
                self.stats.errors.append(ack["error"])
        else:  # a lost connection: not acknowledged
            self.stats.errors.append(type(error).__name__)
        started, self.sent_at = self.sent_at, None
        self.next_after(started)

    def next_after(self, started):
        """The next batch one period after the last, or done if that falls after the window: the
        phones stop together, so that the CPU window ends with the load (a phone waiting out its
        last period diluted the CPU shares: 10 s at 5,000 phones)."""
        if started + self.period >= self.window[1]:
            self.finished = True
        else:
            self.schedule(max(0.0, self.period - (time.time() - started)))

    def check_timeout(self, now, seconds=30):
        """Called every second: a batch without an ack after `seconds` counts as not acknowledged."""
        if self.sent_at is not None and now - self.sent_at > seconds:
            self.stats.errors.append("TimeoutError")
            started, self.sent_at = self.sent_at, None
            self.next_after(started)


async def connect_phone(url, token, attempts=10):
    """Connect as a phone does: a refused or failed connect is tried again a little later."""
    for attempt in range(attempts):
        try:
            return await WireClient.connect(url, TECHNICIAN, {"token": token})
        except ConnectError:
            if attempt == attempts - 1:
                raise
            await asyncio.sleep(1 + attempt)


async def console(url, token, stats):
    """A console in this (the main) process; the latency ends when its update's bytes arrive."""
    client = await WireClient.connect(url, CONSOLE, {"token": token})

    def on_positions(received_at, batch):
        for item in batch["items"]:
            stats.latencies.append(received_at - item["t"])
            stats.received.append(received_at)
            stats.console_fixes += item.get("n", 1)

    client.on("positions", on_positions)
    return client


async def drive(urls, tokens, admin_token, args, run_id, on_window_start, on_window_end):
    """Consoles here, phones in --generators processes: a console's receive time is never
    delayed by the phones' work."""
    consoles_stats = [Stats() for _ in range(args.consoles)]
    consoles = [await console(urls[0], admin_token, stats) for stats in consoles_stats]
    # phones spread over the web processes as a plain load balancer would (WebSocket only: no stickiness)
    items = [(urls[i % len(urls)], tid, token) for i, (tid, token) in enumerate(sorted(tokens.items()))]
    stats = await _drive_generators(items, args, run_id, on_window_start, on_window_end)
    for client in consoles:
        client.disconnect()
    return stats, consoles_stats


async def connect_phones(items):
    """Connect every phone first, 100 at a time."""
    phones = []
    for start in range(0, len(items), 100):
        phones += await asyncio.gather(*(connect_phone(url, token) for url, _, token in items[start : start + 100]))
    return phones


async def send(clients, items, args, run_id):
    stats = Stats()
    window = (time.time() + 0.5, time.time() + 0.5 + args.seconds)
    phones = [
        Phone(client, tid, args, run_id, window, stats) for client, (_, tid, _) in zip(clients, items, strict=True)
    ]
    for phone in phones:
        phone.start()
    while not all(phone.finished for phone in phones):
        await asyncio.sleep(1)
        now = time.time()
        for phone in phones:
            phone.check_timeout(now)
    stats.window = (window[0], max(stats.last_ack, window[1]))
    return stats


async def _drive_generators(items, args, run_id, on_window_start, on_window_end):
    """The phones in --generators processes; they start sending together and disconnect only
    after the CPU has been counted."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(args.generators + 1), context.Queue()
    workers = [
        context.Process(target=generator, args=(items[g :: args.generators], args, run_id, barrier, results))
        for g in range(args.generators)
    ]
    for worker in workers:
        worker.start()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, barrier.wait)  # every phone connected
    on_window_start()
    parts = [await loop.run_in_executor(None, results.get) for _ in workers]
    await asyncio.sleep(2)  # the last console updates
    on_window_end()
    await loop.run_in_executor(None, barrier.wait)  # now the phones may disconnect
    for worker in workers:
        worker.join()
    stats = Stats()
    for sent, acked, errors, _last_ack, _window, late in parts:
        stats.sent, stats.acked, stats.errors = stats.sent + sent, stats.acked + acked, stats.errors + errors
        stats.late += late
    stats.window = (min(part[4][0] for part in parts), max(part[4][1] for part in parts))
    return stats


def generator(items, args, run_id, barrier, results):
    """One load-generator process: connect its phones, wait for the others, send, report."""

    async def main():
        phones = await connect_phones(items)
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, barrier.wait)
        stats = await send(phones, items, args, run_id)
        late = stats.late[:: max(1, len(stats.late) // 20_000)]  # a sample is enough for percentiles
        results.put((stats.sent, stats.acked, stats.errors, stats.last_ack, stats.window, late))
        await loop.run_in_executor(None, barrier.wait)
        for phone in phones:
            phone.disconnect()
        await asyncio.sleep(0.5)  # the close frames go out

    gc.freeze()
    gc.set_threshold(50_000, 20, 100)
    asyncio.run(main())


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else None


# --- main --------------------------------------------------------------------------------------


def run(args):
    """One JSON result per run: the technicians are prepared once for the series, the service is
    started afresh for every run."""
    tokens, admin_token = with_retries(prepare, args.technicians)
    try:
        for _ in range(args.runs):
            with_retries(warm_state, tokens)
            yield one_run(args, tokens, admin_token)
    finally:
        if not args.keep_on_shift:
            with_retries(retire, tokens)


def one_run(args, tokens, admin_token):
    started, load_before = time.strftime("%H:%M:%S", time.gmtime()), os.getloadavg()[0]
    processes, urls = (
        ({}, [args.url]) if args.url else start_service(args.web_processes, args.console_interval_ms, args.technicians)
    )
    try:
        result = measure(args, tokens, admin_token, processes, urls)
    finally:
        for process in processes.values():
            stop(process)
    # The machine's 1-minute load average before and after the run: 2 means both cores busy.
    return {"utc": started, **result, "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def measure(args, tokens, admin_token, processes, urls):
    run_id = f"b{int(time.time()):x}"
    # The load generator must not add its own pauses to the latencies: same GC settings as the web worker.
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WEB_GC_THRESHOLDS)
    trees = {name: process_tree(p) for name, p in processes.items()}
    # The bench's own CPU in two parts: this process (the consoles) and the phones' generators.
    trees["consoles"] = [psutil.Process()]
    before, after = {}, {}

    def snapshot(into):
        trees["generators"] = [psutil.Process(child.pid) for child in multiprocessing.active_children()]
        into.update({name: cpu_by_pid(t) for name, t in {**trees, **services_by_name()}.items()})  # new backends too
        into["at"] = time.time()

    wall0 = time.time()
    stats, consoles = asyncio.run(
        drive(urls, tokens, admin_token, args, run_id, lambda: snapshot(before), lambda: snapshot(after))
    )
    wall = time.time() - wall0
    drained_at = wait_for_drain(timeout=120)
    cpu_window = after.pop("at") - before.pop("at")
    cpu_s = {name: cpu_used(before[name], after[name]) for name in after}
    persisted = with_retries(count_persisted, run_id)
    latencies = consoles[0].latencies if consoles else []
    if consoles and os.environ.get("BENCH_LOG_DIR"):
        _log_latency_by_second(Path(os.environ["BENCH_LOG_DIR"]) / f"latency-{run_id}.txt", consoles[0])
    return {
        "technicians": args.technicians,
        "web_processes": len(urls),
        "batch": args.batch,
        "interval_s": args.interval,
        "seconds": args.seconds,
        "consoles": args.consoles,
        "console_interval_ms": args.console_interval_ms,
        "sent": stats.sent,
        "acknowledged": stats.acked,
        "persisted": persisted,
        "lost": stats.acked - persisted,
        "errors": len(stats.errors),
        "error_kinds": sorted(set(stats.errors))[:5],
        "offered_fixes_per_s": round(args.technicians / args.interval),
        "throughput_fixes_per_s": round(stats.acked / (stats.window[1] - stats.window[0])),
        # How late the generators sent (their event loops' lag): near 0 means they kept up.
        "generator_late_p99_ms": _ms(percentile(stats.late, 0.99)),
        "writer_drain_s_after_send": drained_at,
        "console_fixes_seen": [c.console_fixes for c in consoles],
        "console_updates": len(latencies),
        **{f"latency_p{int(q * 100)}_ms": _ms(percentile(latencies, q)) for q in (0.5, 0.95, 0.99)},
        # CPU from the first send to the last console update (connecting and draining are outside it).
        "cpu_pct_of_one_core": {name: round(used / cpu_window * 100) for name, used in cpu_s.items()},
        # Load-independent cost: CPU seconds of each process per 1,000 acknowledged fixes.
        "cpu_s_per_1000_fixes": {name: round(used / max(stats.acked, 1) * 1000, 3) for name, used in cpu_s.items()},
        "wall_s": round(wall, 1),
    }


def _log_latency_by_second(path, stats):
    """Per second of the run: console updates, p50 and p99 send -> console (where the tail sits)."""
    by_second = {}
    for received_at, latency in zip(stats.received, stats.latencies, strict=True):
        by_second.setdefault(int(received_at), []).append(latency)
    start = min(by_second, default=0)
    with open(path, "w") as out:
        for second, values in sorted(by_second.items()):
            p50, p99 = _ms(percentile(values, 0.5)), _ms(percentile(values, 0.99))
            utc = time.strftime("%H:%M:%S", time.gmtime(second))  # to line up with the processes' logs
            out.write(f"{second - start:4d} s  {utc}  {len(values):5d} updates  p50 {p50} ms  p99 {p99} ms\n")


def _ms(value):
    return None if value is None else round(value * 1000, 1)


def wait_for_drain(timeout):
    start = time.time()
    while time.time() - start < timeout:
        if backlog() == 0:
            return round(time.time() - start, 1)
        time.sleep(0.2)
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--technicians", type=int, default=1000)
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between fixes of one phone")
    parser.add_argument("--batch", type=int, default=10, help="fixes per message")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--consoles", type=int, default=2)
    parser.add_argument("--web-processes", type=int, default=1)
    parser.add_argument(
        "--generators", type=int, default=os.cpu_count() or 1, help="load-generator processes (default: one per core)"
    )
    parser.add_argument("--console-interval-ms", type=int, default=0, help="position throttle per technician")
    parser.add_argument("--url", help="an already running service (its writer must be running too)")
    parser.add_argument("--runs", type=int, default=1, help="runs in a row, one JSON line each")
    parser.add_argument(
        "--keep-on-shift", action="store_true", help="leave the bench technicians on shift for the next series"
    )
    for result in run(parser.parse_args()):
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
