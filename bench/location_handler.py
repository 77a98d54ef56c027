"""The location handler alone: CPU per 10-fix message, without sockets, in a gevent-patched process.

Calls the technicians' `location` handler (`mobile_api.sockets._location`: parse, clean, the
Redis round trip, the console feed) directly, as the web worker does for each message, for
--messages messages of --batch fixes spread over the first --technicians bench technicians (the
ones bench/tracking.py creates; run it once with --keep-on-shift first so they are on shift
with consent). Prints one JSON line: CPU microseconds per message, the smallest and the median
of rounds of 500 messages (the smallest is the figure least disturbed by other work on the
machine), and the load average. Add --profile for cProfile's top functions instead.

    scripts/with-env.sh .venv/bin/python bench/location_handler.py [--messages 5000]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

ROUND = 500


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--technicians", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    from backend.app import create_app

    app = create_app()
    with app.app_context():
        print(json.dumps(run(app, args)))


def run(app, args):
    from mobile_api import sockets

    environs = [{"gridwork.technician_id": tid, "flask.app": app} for tid in _bench_technicians(args.technicians)]
    if not environs:
        raise SystemExit("no bench technicians: run bench/tracking.py --keep-on-shift once first")
    messages = _messages(args.messages + 300, args.batch)
    for i, message in enumerate(messages[:300]):  # warm up: state caches, Redis connections
        reply = _send(sockets, environs[i % len(environs)], message)
    if reply.get("error") or not reply.get("accepted"):
        raise SystemExit(f"the handler refused the bench technicians: {reply}")
    messages = messages[300:]
    if args.profile:
        return _profiled(sockets, environs, messages)
    rounds = []
    for start in range(0, len(messages), ROUND):
        chunk = messages[start : start + ROUND]
        began = time.process_time()
        for i, message in enumerate(chunk):
            _send(sockets, environs[(start + i) % len(environs)], message)
        rounds.append((time.process_time() - began) / len(chunk))
    rounds.sort()
    return {
        "messages": len(messages),
        "batch": args.batch,
        "cpu_us_per_message_min": round(rounds[0] * 1e6),
        "cpu_us_per_message_median": round(rounds[len(rounds) // 2] * 1e6),
        "load_average_1m": os.getloadavg()[0],
    }


def _send(sockets, environ, message):
    environ.pop("gridwork.location_bucket", None)  # the rate limit is per phone, not what is measured
    return sockets._location(environ, message)


def _profiled(sockets, environs, messages):
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile()
    profile.enable()
    for i, message in enumerate(messages):
        _send(sockets, environs[i % len(environs)], message)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(30)
    print(out.getvalue(), file=sys.stderr)
    return {"messages": len(messages), "profile": "on stderr"}


def _bench_technicians(count):
    from sqlalchemy import select

    from backend.extensions import db
    from backend.models import Technician, User

    phones = [f"1380000{i:04d}" for i in range(count)]
    rows = db.session.execute(
        select(Technician.id).join(User, Technician.user_id == User.id).where(User.phone.in_(phones))
    )
    return [tid for (tid,) in rows]


def _messages(count, batch):
    run_id, now, messages = f"lh{time.time():.0f}", time.time(), []
    for k in range(count):
        messages.append(
            [
                {
                    "id": f"{run_id}-{k}-{j}",
                    "time": now - (batch - 1 - j) * 0.2,
                    "lon": 104.0 + (k * batch + j) * 1e-5,
                    "lat": 30.6,
                    "accuracy": 5,
                }
                for j in range(batch)
            ]
        )
    return messages


if __name__ == "__main__":
    main()
