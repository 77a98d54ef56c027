"""Candidate search at scale: who may take an order, ranked, with 100,000 technicians.

Builds a dedicated database (default `gw_candidates_bench`, created from the migrations and
dropped at the end unless --keep) holding a province: --cities cities, each cut into
districts and grids with the region tree, and --technicians technicians with users,
profiles (approved or not, a few accounts inactive), roles from the catalogue, verified /
pending / expired skills at levels 1-5 with validity dates, region memberships (grid,
district or city; some only requested), past and active orders (load and rating), and live
positions and presence written where tracking keeps them (Redis, `backend.tracking`), plus
the feed's matching_positions. Everything goes in with COPY.

Then, for --orders random open orders (work type, role, required skills, a point in a grid),
it times what the application runs, inside an app context as a request would:

* `candidates`: `backend.orders.assign.candidates(order)`, the console's ranked list with the
  reasons of the technicians left out, split into its phases (eligibility SQL, ranking, the
  reasons); fit + rank is `ranked` (`assign.ranked(order)`, what auto-assign picks from);
* `eligible_technicians`: `backend.workforce.eligibility.eligible_technicians` for the order's
  requirements, online only (what grab offers go to).

Prints one JSON object: p50/p95/p99/max ms of each, the phases, the load average, and
EXPLAIN (ANALYZE, BUFFERS) of every statement one `candidates` call sends, with the indexes
those plans use.

    scripts/with-env.sh .venv/bin/python bench/candidates.py [--technicians 100000] [--orders 1000]

Redis: the bench's positions and presence go to REDIS_URL's database (under the keys
tracking uses) and are deleted at the end; the ids are the bench database's, so do not run it
while the development simulator is live.
"""

import argparse
import io
import json
import os
import random
import re
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "gw_candidates_bench"
BUILT_AT_KEY = "bench:candidates:built_at"
ROLE_WEIGHTS = {
    "daily_maintenance": 30,
    "repair": 25,
    "construction": 15,
    "generator_operator": 10,
    "monitoring": 10,
    "property_liaison": 5,
    "station_lead": 5,
}
PAST_STATES = ("verified", "delivered", "cancelled", "assigned", "accepted", "en_route")
WORK_TYPES = ("fault_repair", "inspection", "generator_power", "battery_swap", "fibre_cut", "site_survey")
PROVINCE = (102.0, 28.0)  # south-west corner of the province (lon, lat)
CITY_SIZE = (0.6, 0.45)  # degrees
DISTRICTS = 3  # per side: 9 districts per city
GRIDS = 4  # per side: 16 grids per district


# --- the database ------------------------------------------------------------------------------


def database_url(name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(os.environ["DATABASE_URL"]).set(database=name).render_as_string(hide_password=False)


def admin_engine():
    from sqlalchemy import create_engine

    return create_engine(database_url("postgres"), isolation_level="AUTOCOMMIT")


def recreate_database(name: str):
    from sqlalchemy import text

    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()


def drop_database(name: str):
    from sqlalchemy import text

    engine = admin_engine()
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def copy_rows(cursor, table: str, columns: tuple[str, ...], rows) -> int:
    """COPY rows (tuples; None is NULL) into table."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row))
        buffer.write("\n")
        count += 1
    buffer.seek(0)
    cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)
    return count


# --- the province --------------------------------------------------------------------------------


def box_wkt(x0, y0, x1, y1) -> str:
    return f"SRID=4326;POLYGON(({x0} {y0},{x1} {y0},{x1} {y1},{x0} {y1},{x0} {y0}))"


def build_regions(cities: int):
    """City -> district -> grid boxes: [(id, parent_id, level, code, bbox)]."""
    regions, next_id = [], 1
    for c in range(cities):
        cx = PROVINCE[0] + (c % 4) * (CITY_SIZE[0] + 0.3)
        cy = PROVINCE[1] + (c // 4) * (CITY_SIZE[1] + 0.3)
        city_id, next_id = next_id, next_id + 1
        regions.append((city_id, None, "city", f"C{c}", (cx, cy, cx + CITY_SIZE[0], cy + CITY_SIZE[1])))
        dw, dh = CITY_SIZE[0] / DISTRICTS, CITY_SIZE[1] / DISTRICTS
        for d in range(DISTRICTS * DISTRICTS):
            dx, dy = cx + (d % DISTRICTS) * dw, cy + (d // DISTRICTS) * dh
            district_id, next_id = next_id, next_id + 1
            regions.append((district_id, city_id, "district", f"C{c}D{d}", (dx, dy, dx + dw, dy + dh)))
            gw, gh = dw / GRIDS, dh / GRIDS
            for g in range(GRIDS * GRIDS):
                gx, gy = dx + (g % GRIDS) * gw, dy + (g // GRIDS) * gh
                regions.append((next_id, district_id, "grid", f"C{c}D{d}G{g}", (gx, gy, gx + gw, gy + gh)))
                next_id += 1
    return regions


def point_in(bbox, rng):
    x0, y0, x1, y1 = bbox
    return (round(rng.uniform(x0, x1), 6), round(rng.uniform(y0, y1), 6))


# --- the people ----------------------------------------------------------------------------------


class World:
    """What the build produced that the queries and Redis need."""

    def __init__(self):
        self.regions = []
        self.grids = []
        self.home = {}  # technician id -> bbox of their first membership
        self.approved = []


def build(conn, args, rng) -> World:
    from sqlalchemy import text

    world = World()
    today = datetime.now(UTC).date()
    now = datetime.now(UTC).isoformat()
    roles = dict(conn.execute(text("SELECT code, id FROM technician_roles")).all())
    skills = [row[0] for row in conn.execute(text("SELECT id FROM skills ORDER BY id")).all()]
    raw = conn.connection.dbapi_connection
    cur = raw.cursor()

    world.regions = build_regions(args.cities)
    by_level = {lvl: [r for r in world.regions if r[2] == lvl] for lvl in ("city", "district", "grid")}
    world.grids = by_level["grid"]
    copy_rows(
        cur,
        "regions",
        ("id", "parent_id", "level", "code", "name", "coefficient", "geom", "area_m2", "created_at"),
        ((i, p, lvl, code, code, "1.000", box_wkt(*bb), 0, now) for i, p, lvl, code, bb in world.regions),
    )
    cur.execute("UPDATE regions SET area_m2 = ST_Area(geography(geom))")
    cur.execute(
        "INSERT INTO organizations (id, kind, name, timezone, created_at) "
        "VALUES (1, 'client', 'Bench client', 'Asia/Shanghai', now())"
    )

    n = args.technicians
    role_codes, role_weights = list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values())
    users, techs, profiles, memberships, held = [], [], [], [], []
    skill_id = 0
    for t in range(1, n + 1):
        users.append((t, f"139{t:08d}", f"tech {t}", "technician", "x", "t" if rng.random() > 0.02 else "f", now))
        techs.append((t, t, now))
        status = rng.choices(("approved", "submitted", "onboarding", "rejected"), (85, 7, 5, 3))[0]
        role = roles[rng.choices(role_codes, role_weights)[0]]
        profiles.append((t, status, role))
        level = rng.choices(("grid", "district", "city"), (65, 25, 10))[0]
        first = rng.choice(by_level[level])
        world.home[t] = first[4]
        chosen = [first] + ([rng.choice(by_level["grid"])] if rng.random() < 0.15 else [])
        for region in {r[0]: r for r in chosen}.values():
            state = "active" if rng.random() > 0.05 else "requested"
            memberships.append((t, region[0], state, now))
        for sid in rng.sample(skills, rng.choice((1, 2, 2, 3, 3, 4))):
            skill_id += 1
            state = rng.choices(("verified", "pending", "expired", "rejected"), (80, 10, 5, 5))[0]
            start = today - timedelta(days=rng.randint(0, 1500))
            until = None if rng.random() < 0.3 else today + timedelta(days=rng.randint(-200, 1000))
            until = max(until, start) if until else None
            level = rng.choices((1, 2, 3, 4, 5), (15, 30, 30, 15, 10))[0]
            held.append((skill_id, t, sid, level, start, until, state, now))
        if status == "approved" and users[-1][5] == "t":
            world.approved.append(t)
    copy_rows(cur, "users", ("id", "phone", "name", "role", "password_hash", "is_active", "created_at"), users)
    copy_rows(cur, "technicians", ("id", "user_id", "created_at"), techs)
    copy_rows(cur, "technician_profiles", ("technician_id", "status", "role_id"), profiles)
    copy_rows(cur, "technician_regions", ("technician_id", "region_id", "state", "created_at"), memberships)
    copy_rows(
        cur,
        "technician_skills",
        ("id", "technician_id", "skill_id", "level", "valid_from", "valid_until", "state", "created_at"),
        held,
    )
    build_past_orders(cur, args, rng, now)
    build_open_orders(cur, args, rng, now, world)
    for table in ("regions", "users", "technicians", "technician_skills", "orders"):
        cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
    build_matching_positions(cur, rng, world)
    raw.commit()
    raw.autocommit = True  # VACUUM: index-only scans need the visibility map a live database has
    cur.execute("VACUUM ANALYZE")
    raw.autocommit = False
    return world


ORDER_COLUMNS = (
    "id", "org_id", "client_ref", "kind", "status", "dispatch_mode", "region_id", "role_code", "priority",
    "time_windows", "standard_duration_min", "work_type", "attachments", "technician_id", "quality_rating",
    "location", "updated_at", "created_at",
)  # fmt: skip


def build_past_orders(cur, args, rng, now):
    """Orders done or in hand: what load and rating read (--past-orders per technician on average)."""
    rows = []
    for i in range(1, int(args.technicians * args.past_orders) + 1):
        tid = rng.randint(1, args.technicians)
        status = rng.choices(PAST_STATES, (80, 5, 5, 4, 4, 2))[0]
        rating = rng.choices((1, 2, 3, 4, 5), (2, 5, 20, 40, 33))[0] if status == "verified" else None
        rows.append((i, 1, f"P{i}", "dispatch", status, "grab", None, None, "normal", "[]", 60,
                     rng.choice(WORK_TYPES), "{}", tid, rating, None, now, now))  # fmt: skip
    copy_rows(cur, "orders", ORDER_COLUMNS, rows)


def build_open_orders(cur, args, rng, now, world):
    """The published orders the bench asks about: a grid, a point in it, a role, 0-2 skills."""
    first = int(args.technicians * args.past_orders) + 1
    codes = [row[0] for row in _fetch(cur, "SELECT code FROM skills ORDER BY id")]
    orders, skills = [], []
    world.open_orders = []
    for i in range(first, first + args.orders):
        grid = rng.choice(world.grids)
        lon, lat = point_in(grid[4], rng)
        role = rng.choices(list(ROLE_WEIGHTS), list(ROLE_WEIGHTS.values()))[0] if rng.random() < 0.8 else None
        priority = rng.choices(("urgent", "high", "normal", "low"), (10, 20, 60, 10))[0]
        where = f"SRID=4326;POINT({lon} {lat})"
        orders.append((i, 1, f"O{i}", "dispatch", "published", "auto", grid[0], role, priority, "[]", 60,
                       rng.choice(WORK_TYPES), "{}", None, None, where, now, now))  # fmt: skip
        for code in rng.sample(codes, rng.choice((0, 1, 1, 2))):
            skills.append((i, code, rng.choices((1, 2, 3), (50, 35, 15))[0]))
        world.open_orders.append(i)
    copy_rows(cur, "orders", ORDER_COLUMNS, orders)
    copy_rows(cur, "order_skills", ("order_id", "skill_code", "min_level"), skills)


def _fetch(cur, sql):
    cur.execute(sql)
    return cur.fetchall()


def build_matching_positions(cur, rng, world):
    """Where a third of the technicians last opened the feed (matching's fallback position)."""
    rows = []
    for tid, bbox in world.home.items():
        if rng.random() < 0.3:
            lon, lat = point_in(bbox, rng)
            rows.append((tid, f"SRID=4326;POINT({lon} {lat})", datetime.now(UTC).isoformat()))
    copy_rows(cur, "matching_positions", ("technician_id", "location", "updated_at"), rows)


def live_state(redis, world, rng, now: float):
    """Presence and live positions, written with tracking's own writers' keys and format:
    45% online (a heartbeat in the last minute), 10% gone stale, the rest never seen."""
    from backend.tracking.positions import keep
    from backend.tracking.presence import PRESENCE_KEY
    from geo.tracks import Fix

    redis.set(BUILT_AT_KEY, now)
    pipe = redis.pipeline(transaction=False)
    for i, tid in enumerate(world.home):
        draw = rng.random()
        if draw >= 0.55:
            continue
        seen = now - rng.uniform(0, 60) if draw < 0.45 else now - rng.uniform(300, 3600)
        pipe.zadd(PRESENCE_KEY, {str(tid): seen})
        lon, lat = point_in(world.home[tid], rng)
        fix = Fix(lon=lon, lat=lat, t=seen, accuracy=8.0, speed=None, heading=None, battery=80, client_id="bench")
        keep(pipe, tid, fix, "on_shift")
        if i % 5000 == 0:
            pipe.execute()
    pipe.execute()


def presence_ages(redis) -> dict[str, float]:
    """How long before the build each bench technician's heartbeat was (what stays fixed)."""
    from backend.tracking.presence import PRESENCE_KEY

    built_at = float(redis.get(BUILT_AT_KEY))
    return {member.decode(): built_at - score for member, score in redis.zrange(PRESENCE_KEY, 0, -1, withscores=True)}


def keep_heartbeats(redis, ages: dict[str, float]):
    """Heartbeats keep arriving while the bench runs: the same ages, as of now (untimed). The
    reference moves to now too, so a later --reuse run reads the same ages (it did not: each
    run aged everyone by the time since the build, and stale technicians came back online)."""
    from backend.tracking.presence import PRESENCE_KEY

    now = time.time()
    members = list(ages.items())
    for i in range(0, len(members), 10_000):
        redis.zadd(PRESENCE_KEY, {m: now - age for m, age in members[i : i + 10_000]})
    redis.set(BUILT_AT_KEY, now)


def clear_live_state(redis):
    from backend.tracking.positions import GEO_KEY, POSITIONS_KEY
    from backend.tracking.presence import PRESENCE_KEY

    redis.delete(PRESENCE_KEY, POSITIONS_KEY, GEO_KEY, BUILT_AT_KEY)


# --- timing ---------------------------------------------------------------------------------------


class Phases:
    """Time spent in named functions of the code under test (wrapped, not replaced)."""

    def __init__(self):
        self.current = {}

    @contextmanager
    def wrap(self, targets):
        patches = [mock.patch.object(owner, name, side_effect=self._timed(label, getattr(owner, name)))
                   for label, (owner, name) in targets.items()]  # fmt: skip
        for p in patches:
            p.start()
        try:
            yield
        finally:
            for p in patches:
                p.stop()

    def _timed(self, label, fn):
        def run(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.current[label] = self.current.get(label, 0.0) + (time.perf_counter() - t0) * 1000

        return run


def summary(values):
    ordered = sorted(values)

    def q(p):
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))], 2)

    return {"p50": q(0.5), "p95": q(0.95), "p99": q(0.99), "max": round(ordered[-1], 2),
            "mean": round(statistics.fmean(ordered), 2)}  # fmt: skip


def time_orders(order_ids, rng, redis):
    from backend.extensions import db
    from backend.models import Order
    from backend.orders import assign, matching
    from backend.workforce import eligibility
    from bench.backend_cpu import backend_cpu_s

    phases = Phases()
    if hasattr(assign, "CANDIDATE_PHASES"):
        targets = {name: (assign, f"_{name}") for name in assign.CANDIDATE_PHASES}
    else:  # the code before issue 12's rewrite
        targets = {"pool": (assign, "_pool"), "reasons": (assign, "_reasons"),
                   "refresh_positions": (matching, "refresh_positions"), "knn": (matching, "knn_order")}  # fmt: skip
    totals, cpu_ms, eligible_ms, eligible_cpu_ms, sizes, server_cpu_ms = [], [], [], [], [], []
    phase_ms = {name: [] for name in targets}
    picks = rng.sample(order_ids, len(order_ids))
    ages = presence_ages(redis)
    with phases.wrap(targets):
        for n, oid in enumerate(picks):
            if n % 100 == 0:
                keep_heartbeats(redis, ages)
            order = db.session.get(Order, oid)
            backend = db.session.scalar(db.text("SELECT pg_backend_pid()"))
            phases.current = {}
            s0 = backend_cpu_s(backend)
            t0, c0 = time.perf_counter(), time.process_time()
            answer = assign.candidates(order)
            t1, c1 = time.perf_counter(), time.process_time()
            if s0 is not None:
                server_cpu_ms.append((backend_cpu_s(backend) - s0) * 1000)
            eligible = eligibility.eligible_technicians(matching.requirements_for(order, online_only=True))
            t2, c2 = time.perf_counter(), time.process_time()
            db.session.rollback()  # a request ends its transaction; the next order starts cold
            totals.append((t1 - t0) * 1000)
            cpu_ms.append((c1 - c0) * 1000)
            eligible_ms.append((t2 - t1) * 1000)
            eligible_cpu_ms.append((c2 - c1) * 1000)
            for name in targets:
                phase_ms[name].append(phases.current.get(name, 0.0))
            sizes.append((len(answer["candidates"]), len(answer["excluded"]), len(eligible)))
    ranked = [f + r for f, r in zip(phase_ms.get("fit", []), phase_ms.get("rank", []), strict=True)]
    return {
        "candidates_ms": summary(totals),
        "candidates_phases_ms": {name: summary(v) for name, v in phase_ms.items()},
        # fit + rank: what auto-assign pays (`assign.ranked`, no reasons)
        **({"ranked_ms": summary(ranked)} if ranked else {}),
        "candidates_bench_process_cpu_ms": summary(cpu_ms),  # Python's own CPU: what load does not inflate
        # PostgreSQL's backend CPU per call (read in clock ticks, so only the mean means much)
        **({"candidates_backend_cpu_ms_mean": round(statistics.fmean(server_cpu_ms), 2)} if server_cpu_ms else {}),
        "eligible_technicians_ms": summary(eligible_ms),
        "eligible_technicians_bench_process_cpu_ms": summary(eligible_cpu_ms),
        "answer_sizes_mean": {
            "candidates": round(statistics.fmean(s[0] for s in sizes), 1),
            "excluded": round(statistics.fmean(s[1] for s in sizes), 1),
            "eligible_online": round(statistics.fmean(s[2] for s in sizes), 1),
        },
    }


# --- plans ----------------------------------------------------------------------------------------

INDEX_RE = re.compile(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)")


def explain_one(order_id):
    """EXPLAIN (ANALYZE, BUFFERS) of each statement one candidates() call sends, as it sent them."""
    from sqlalchemy import event

    from backend.extensions import db
    from backend.models import Order
    from backend.orders import assign

    sent = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            sent.append((statement, parameters))

    order = db.session.get(Order, order_id)
    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assign.candidates(order)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    db.session.rollback()
    plans = []
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for statement, parameters in sent:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = [row[0] for row in cur.fetchall()]
            plans.append({"sql": cur.mogrify(statement, parameters).decode(), "plan": plan,
                          "indexes": sorted(set(INDEX_RE.findall("\n".join(plan))))})  # fmt: skip
        raw.rollback()
    finally:
        raw.close()
    return plans


# --- main -----------------------------------------------------------------------------------------


def short_plan(plan):
    times = [line.strip() for line in plan["plan"] if line.startswith(("Planning Time", "Execution Time"))]
    return {"sql": plan["sql"][:200], "indexes": plan["indexes"], "times": times}


def loadavg():
    return [round(x, 2) for x in os.getloadavg()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--technicians", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1000, help="open orders asked about (each once, random order)")
    parser.add_argument("--cities", type=int, default=10)
    parser.add_argument("--past-orders", type=float, default=3.0, help="done/active orders per technician")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", default=BENCH_DB)
    parser.add_argument("--keep", action="store_true", help="keep the bench database (and Redis state)")
    parser.add_argument("--reuse", action="store_true", help="time against a kept bench database")
    parser.add_argument("--plans", action="store_true", help="print the full plans (default: a short form)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    load_before = loadavg()
    t_build = time.perf_counter()
    if not args.reuse:
        recreate_database(args.database)
    os.environ["DATABASE_URL"] = database_url(args.database)

    from flask_migrate import upgrade

    from backend.app import create_app
    from backend.extensions import db
    from backend.redis_client import get_redis

    app = create_app()
    try:
        with app.app_context():
            if not args.reuse:
                upgrade()
                with db.engine.connect() as conn:
                    world = build(conn, args, rng)
                clear_live_state(get_redis())
                live_state(get_redis(), world, rng, time.time())
                order_ids = world.open_orders
            else:
                order_ids = list(db.session.scalars(db.text("SELECT id FROM orders WHERE status = 'published'")))
            build_s = time.perf_counter() - t_build
            load_at_start = loadavg()
            timing = time_orders(order_ids, rng, get_redis())
            plans = explain_one(order_ids[0])
            result = {
                "bench": "candidates",
                "database": args.database,
                "technicians": args.technicians,
                "orders_timed": len(order_ids),
                "build_s": round(build_s, 1),
                **timing,
                "goal": "candidates p95 <= 20 ms",
                "met": timing["candidates_ms"]["p95"] <= 20,
                "load_average": {"before": load_before, "timing_start": load_at_start, "end": loadavg()},
                "indexes_used": sorted({i for p in plans for i in p["indexes"]}),
                "plans": plans if args.plans else [short_plan(p) for p in plans],
            }
    finally:
        if not args.keep:
            with app.app_context():
                clear_live_state(get_redis())
                db.session.remove()
                db.engine.dispose()
            drop_database(args.database)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
