"""The Redis connection shared by the app: live state, rate limits, RQ; and the hot lane, a few
connections of its own for the location handler's one command per batch."""

import hashlib

from flask import current_app
from redis import BlockingConnectionPool, Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, ResponseError

MAX_CONNECTIONS = 64
HOT_LANE_CONNECTIONS = 64  # 16 overflowed into the pool at 5,000 fixes/s


def init_app(app):
    # Blocking pool: under a burst, greenlets wait for a free connection instead of failing
    # with "Too many connections" (the default pool raises).
    pool = BlockingConnectionPool.from_url(app.config["REDIS_URL"], max_connections=MAX_CONNECTIONS, timeout=20)
    app.extensions["redis"] = Redis(connection_pool=pool)
    app.extensions["redis_hot_lane"] = HotLane(app.extensions["redis"], HOT_LANE_CONNECTIONS)


def get_redis() -> Redis:
    return current_app.extensions["redis"]


def hot_lane() -> "HotLane":
    return current_app.extensions["redis_hot_lane"]


class HotLane:
    """One command, one reply, on a connection kept aside: the location handler's round trip per
    batch without the pool's checkout (its queue, lock and the `can_read` poll of the socket that
    gevent turns into a `select.poll`: 5% of the web worker's CPU at 5,000 fixes/s) nor the
    client's command and reply machinery.

    The free connections are a plain list: `pop` and `append` never yield to another greenlet, so
    no lock is needed. A connection goes back on the list only after a complete reply (an error
    reply is complete); anything else (timeout, lost connection, the greenlet killed) closes it,
    so a half-read reply is never handed to the next caller. Beyond `size` connections busy at
    once, a call borrows from the shared pool (which blocks when that is empty too).
    """

    def __init__(self, client: Redis, size: int):
        self._client, self._size = client, size
        self._free: list = []
        self._created = 0

    def call(self, *args):
        """Send one command, return its reply undecoded (bytes, int, list), raise its error reply.
        A lost connection is retried once on a new one, as redis-py's client does by default (the
        command may then run twice: the location handler's script is safe to repeat)."""
        packed = pack(args)
        try:
            return self._call(packed, args)
        except RedisConnectionError:
            return self._call(packed, args)

    def run(self, script: "LaneScript", args: tuple):
        """EVALSHA of `script` with its variable keys and arguments (`args`); loads the script on
        NOSCRIPT (a restarted or flushed server)."""
        packed = script.head + bulks(args)
        try:
            try:
                return self._call(packed, script.command(args))
            except RedisConnectionError:
                return self._call(packed, script.command(args))
        except NoScriptError:
            self.call("SCRIPT", "LOAD", script.text)
        return self._call(packed, script.command(args))

    def _call(self, packed: bytes, args: tuple):
        try:
            connection = self._free.pop()
        except IndexError:
            if self._created >= self._size:
                return self._client.execute_command(*args, NEVER_DECODE=True)  # retries on its own
            pool = self._client.connection_pool
            connection = pool.connection_class(**pool.connection_kwargs)
            self._created += 1
        try:
            connection.send_packed_command([packed])
            reply = connection.read_response(disable_decoding=True)
        except ResponseError:
            self._free.append(connection)  # the whole error reply was read: the connection is clean
            raise
        except BaseException:
            connection.disconnect()
            self._free.append(connection)  # reconnects on its next command
            raise
        self._free.append(connection)
        return reply


class LaneScript:
    """A Lua script for the hot lane: its SHA, and the head of its EVALSHA (the command, the SHA,
    the key count and the keys that never change) packed once. Each call adds `more_keys`
    keys and `args` arguments, in this order."""

    def __init__(self, text: str, fixed_keys: tuple[str, ...], more_keys: int, args: int):
        self.text = text
        self.sha = hashlib.sha1(text.encode()).hexdigest()
        self._start = ("EVALSHA", self.sha, len(fixed_keys) + more_keys, *fixed_keys)
        self._count = len(self._start) + more_keys + args
        self.head = b"*%d\r\n" % self._count + bulks(self._start)

    def command(self, args: tuple) -> tuple:
        """The whole command, unpacked (the shared pool's client packs it itself)."""
        if len(self._start) + len(args) != self._count:
            raise TypeError(f"the script takes {self._count - len(self._start)} keys and arguments")
        return (*self._start, *args)


def pack(args) -> bytes:
    """A command in the Redis protocol; arguments are bytes, str, int or float (as redis-py writes
    them: repr of numbers, UTF-8 of text). The hot lane's own packer: one join, no per-argument
    encoder calls nor buffer splitting (a batch's few kilobytes go out in one send)."""
    return b"*%d\r\n" % len(args) + bulks(args)


def bulks(args) -> bytes:
    """The arguments of a command as the protocol's bulk strings (`pack` without the count)."""
    parts = []
    for arg in args:
        if not isinstance(arg, bytes):
            if isinstance(arg, str):
                arg = arg.encode()
            elif isinstance(arg, int | float) and not isinstance(arg, bool):
                arg = repr(arg).encode()
            else:
                raise TypeError(f"a Redis argument must be bytes, str, int or float, not {type(arg).__name__}")
        parts.append(b"$%d\r\n%b\r\n" % (len(arg), arg))
    return b"".join(parts)
