"""The hot lane (backend/redis_client.py): one command, one reply, on connections kept aside."""

import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError

from backend.redis_client import HotLane, LaneScript, bulks, get_redis, pack


def test_pack_writes_the_redis_protocol_as_redis_py_does(app):
    args = ("SET", "k", b"v\r\n", 12, 1.5, "é")
    with app.app_context():
        connection = get_redis().connection_pool.connection_class()
    assert pack(args) == b"".join(connection.pack_command(*args))
    with pytest.raises(TypeError):
        pack(("SET", "k", True))


def test_a_script_the_server_has_not_seen_is_loaded_and_run(app):
    script = LaneScript(
        f"-- {uuid.uuid4()}\nreturn redis.call('INCRBY', KEYS[1], ARGV[1]) * 100 + redis.call('INCRBY', KEYS[2], 1)",
        fixed_keys=("lane:n",),
        more_keys=1,
        args=1,
    )
    assert script.head + bulks(("lane:m", 5)) == pack(script.command(("lane:m", 5)))
    with app.app_context():
        lane = HotLane(get_redis(), 2)
        assert lane.run(script, ("lane:m", 5)) == 501
        assert lane.run(script, ("lane:m", 2)) == 702  # loaded now: EVALSHA alone
        assert HotLane(get_redis(), 0).run(script, ("lane:m", 1)) == 803  # through the shared pool
    with pytest.raises(TypeError):
        script.command(("lane:m",))


def test_an_error_reply_is_raised_and_the_connection_stays_usable(app):
    with app.app_context():
        lane = HotLane(get_redis(), 1)
        lane.call("HSET", "lane:h", "f", "v")
        with pytest.raises(ResponseError):
            lane.call("INCR", "lane:h")
        assert lane.call("HGET", "lane:h", "f") == b"v"  # the same connection, its reply read whole


def test_a_lost_connection_is_closed_and_the_command_retried_once_on_a_new_one(app):
    with app.app_context():
        lane = HotLane(get_redis(), 1)
        assert lane.call("PING") == b"PONG"
        (connection,) = lane._free
        connection._sock.close()  # the server went away under it
        assert lane.call("SET", "lane:k", "1") == b"OK"
        (connection,) = lane._free
        connection._sock.close()
        connection.send_packed_command = _always_lost
        with pytest.raises(RedisConnectionError):
            lane.call("PING")  # lost twice: the error reaches the caller


def _always_lost(*_args, **_kwargs):
    raise RedisConnectionError("lost")


def test_beyond_its_connections_the_lane_borrows_from_the_shared_pool(app):
    with app.app_context():
        lane = HotLane(get_redis(), 0)
        lane.call("SET", "lane:k", "2")
        assert lane.call("GET", "lane:k") == b"2"
        assert lane._free == []
