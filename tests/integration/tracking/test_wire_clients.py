"""The load benchmark's raw-protocol clients (bench/wire.py) are served by the real web process
exactly like python-socketio clients: a phone's batch is acknowledged and stored, a console
sees the position, a bad token is refused at connect."""

import asyncio
import time

import pytest

from backend.realtime import CONSOLE
from bench.wire import ConnectError, WireClient
from mobile_api.sockets import TECHNICIAN
from tests.integration.tracking.conftest import drain, fix, stored
from tests.waiting import wait_until


def test_a_wire_phone_is_acknowledged_stored_and_seen_by_a_console(app, factory, technician, live_server):
    tid, token, _ = technician()
    admin_token = factory.token(factory.user("platform_admin"))

    async def scenario():
        seen = []
        console = await WireClient.connect(live_server, CONSOLE, {"token": admin_token})
        console.on("positions", lambda received_at, batch: seen.append((received_at, batch)))
        phone = await WireClient.connect(live_server, TECHNICIAN, {"token": token})
        sent_at = time.time()
        acks = [
            await asyncio.wait_for(phone.call("location", [fix("w1", t=sent_at - 1), fix("w2", t=sent_at)]), 10),
            await asyncio.wait_for(phone.call("location", {"fixes": [fix("w3")]}), 10),
        ]
        await _until(lambda: sum(item["n"] for _, batch in seen for item in batch["items"]) == 3)
        phone.disconnect()
        console.disconnect()
        return acks, seen, sent_at

    acks, seen, sent_at = asyncio.run(scenario())
    assert [ack["accepted"] for ack in acks] == [["w1", "w2"], ["w3"]]
    mine = [item for _, batch in seen for item in batch["items"] if item["technician_id"] == tid]
    assert mine and mine[0]["t"] == pytest.approx(sent_at, abs=0.01)
    assert all(received_at >= sent_at for received_at, _ in seen)  # the receive time is taken on arrival
    drain(app)  # the writer's code, as in the other tests
    assert wait_until(lambda: stored(app, tid)[1] == 3, message="the wire phone's fixes were not stored")


def test_a_wire_phone_with_a_bad_token_is_refused(live_server):
    async def scenario():
        await WireClient.connect(live_server, TECHNICIAN, {"token": "not-a-jwt"}, timeout=10)

    with pytest.raises(ConnectError, match="refused"):
        asyncio.run(scenario())


async def _until(condition, timeout=10.0):
    """Wait on a condition inside the event loop (the clients' callbacks run in it)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        await asyncio.sleep(0.02)
