"""Socket.IO clients for the load benchmark that speak the protocol on the wire, cheaply.

One python-socketio AsyncClient per phone costs more CPU than the web process serving it
(an aiohttp session, three tasks and a queue per client, the packet classes): at 20,000
fixes/s the load generator, not the server, was what bench/tracking.py measured. A
`WireClient` is one asyncio Protocol per connection and no task of its own: it does the
RFC 6455 client handshake and framing itself and speaks Engine.IO 4 / Socket.IO 5 text
packets, exactly what python-socketio's client sends over its WebSocket transport:

    GET /socket.io/?transport=websocket&EIO=4&t=<time>   (Upgrade: websocket, no extensions)
    <- 0{"sid": ..., "pingInterval": ..., "pingTimeout": ...}      Engine.IO open
    -> 40/technician,{"token": "<access JWT>"}                     Socket.IO connect with auth
    <- 40/technician,{"sid": ...}   or   44/technician,{"message": ...} (refused)
    -> 42/technician,7["location",[{...fix...}, ...]]              event with ack id 7
    <- 43/technician,7[{"accepted": [...], ...}]                   the ack
    <- 2   -> 3                                                    Engine.IO ping / pong
    -> 41/technician,  then 1 and a WebSocket close                disconnect

Server-sent events ("42/console,["positions",{...}]") go to `on(event, handler)` handlers
as handler(received_at, *args): `received_at` is time.time() when the bytes were read, so
a latency measured with it does not include this process's parsing.
Only what the benchmark and its test need: ws:// URLs, text frames (no binary attachments).
"""

import asyncio
import base64
import hashlib
import os
import random
import time
import urllib.parse

import orjson

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455 section 1.3
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA


class ConnectError(Exception):
    """The WebSocket handshake failed or the namespace refused the connection."""


class Disconnected(Exception):
    """The connection closed while a call waited for its ack."""


def mask_frame(opcode: int, payload: bytes) -> bytes:
    """A client frame (FIN set, masked as RFC 6455 requires of clients)."""
    size = len(payload)
    if size < 126:
        head = bytes((0x80 | opcode, 0x80 | size))
    elif size < 65536:
        head = bytes((0x80 | opcode, 0x80 | 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x80 | opcode, 0x80 | 127)) + size.to_bytes(8, "big")
    mask = random.randbytes(4)
    if not size:
        return head + mask
    # XOR the whole payload at once as one big integer: far cheaper than byte by byte.
    key = int.from_bytes((mask * (size // 4 + 1))[:size], "big")
    return head + mask + (int.from_bytes(payload, "big") ^ key).to_bytes(size, "big")


class WireClient(asyncio.Protocol):
    """One Socket.IO client connection to one namespace over a raw WebSocket."""

    def __init__(self, namespace: str, auth: dict | None = None):
        self.namespace = namespace
        self.auth = auth
        self.handlers = {}
        self.transport = None
        self.connected = False
        self.ping_interval_s = None
        self._prefix = b"" if namespace == "/" else namespace.encode() + b","
        self._buffer = bytearray()
        self._fragments = bytearray()
        self._upgraded = False
        self._key = base64.b64encode(os.urandom(16))
        self._ready = asyncio.get_running_loop().create_future()
        self._acks: dict[int, object] = {}  # ack id -> callback(result, error)
        self._next_id = 0
        self._host = ""
        self._query = ""

    # --- public -----------------------------------------------------------------------------

    @classmethod
    async def connect(cls, url: str, namespace: str, auth: dict | None = None, timeout: float = 60):
        """Open the WebSocket and the namespace; raises ConnectError if either is refused."""
        parts = urllib.parse.urlsplit(url)
        loop = asyncio.get_running_loop()
        client = cls(namespace, auth)
        client._host = parts.netloc
        client._query = f"transport=websocket&EIO=4&t={time.time()}"
        try:
            await asyncio.wait_for(loop.create_connection(lambda: client, parts.hostname, parts.port or 80), timeout)
            await asyncio.wait_for(asyncio.shield(client._ready), timeout)
        except (TimeoutError, OSError) as exc:
            client.abort()
            raise ConnectError(f"{type(exc).__name__}: {exc}") from exc
        except ConnectError:
            client.abort()
            raise
        return client

    def on(self, event: str, handler) -> None:
        """handler(received_at, *args) for a server event on this namespace."""
        self.handlers[event] = handler

    def emit(self, event: str, *args) -> None:
        self._send_packet(b"2", orjson.dumps([event, *args]))

    def call(self, event: str, *args) -> asyncio.Future:
        """Emit with an ack id; the future gets the ack's first argument (or None)."""
        future = asyncio.get_running_loop().create_future()

        def settle(result, error):
            if future.done():
                return
            if error is None:
                future.set_result(result)
            else:
                future.set_exception(error)

        self.call_back(settle, event, *args)
        return future

    def call_back(self, callback, event: str, *args) -> None:
        """Emit with an ack id; callback(result, None) on the ack, callback(None, error) if the
        connection is lost first. No future, no task: the cheapest way to wait for an ack."""
        self._next_id += 1
        self._acks[self._next_id] = callback
        self._send_packet(b"2", str(self._next_id).encode() + orjson.dumps([event, *args]))

    def disconnect(self) -> None:
        """Leave the namespace, close Engine.IO and the WebSocket, as python-socketio does."""
        if self.transport is None or self.transport.is_closing():
            return
        if self.connected:
            self._send_packet(b"1", b"")
        self._send_text(b"1")
        self.transport.write(mask_frame(CLOSE, (1000).to_bytes(2, "big")))
        self.transport.close()
        self.connected = False

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport):
        self.transport = transport
        transport.write(
            (
                f"GET /socket.io/?{self._query} HTTP/1.1\r\nHost: {self._host}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {self._key.decode()}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )

    def data_received(self, data: bytes):
        received_at = time.time()
        self._buffer += data
        if not self._upgraded and not self._handshake():
            return
        self._frames(received_at)

    def connection_lost(self, exc):
        self.connected = False
        self._fail(Disconnected("connection closed"))

    # --- WebSocket ----------------------------------------------------------------------------

    def _handshake(self) -> bool:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:])}
        expected = base64.b64encode(hashlib.sha1(self._key + _GUID).digest()).decode()
        if " 101 " not in head[0] + " " or headers.get("sec-websocket-accept") != expected:
            self._fail(ConnectError(f"handshake refused: {head[0]}"))
            self.transport.close()
            return False
        self._upgraded = True
        return True

    def _frames(self, received_at: float) -> None:
        buffer, pos = self._buffer, 0
        while len(buffer) - pos >= 2:
            first, second = buffer[pos], buffer[pos + 1]
            size, start = second & 0x7F, pos + 2
            if size == 126:
                if len(buffer) - pos < 4:
                    break
                size, start = int.from_bytes(buffer[pos + 2 : pos + 4], "big"), pos + 4
            elif size == 127:
                if len(buffer) - pos < 10:
                    break
                size, start = int.from_bytes(buffer[pos + 2 : pos + 10], "big"), pos + 10
            if second & 0x80:  # servers do not mask; tolerate it anyway
                start += 4
            if len(buffer) < start + size:
                break
            payload = bytes(buffer[start : start + size])
            if second & 0x80:
                key = buffer[start - 4 : start]
                payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
            pos = start + size
            self._frame(first & 0x80, first & 0x0F, payload, received_at)
        del buffer[:pos]

    def _frame(self, fin: int, opcode: int, payload: bytes, received_at: float) -> None:
        if opcode == PING:
            self.transport.write(mask_frame(PONG, payload))
        elif opcode == CLOSE:
            self.transport.close()
        elif opcode in (TEXT, 0x0):  # a text frame or its continuation
            if not fin or self._fragments:
                self._fragments += payload
                if not fin:
                    return
                payload, self._fragments = bytes(self._fragments), bytearray()
            self._engineio(payload, received_at)

    def _send_text(self, payload: bytes) -> None:
        self.transport.write(mask_frame(TEXT, payload))

    # --- Engine.IO / Socket.IO ------------------------------------------------------------------

    def _engineio(self, packet: bytes, received_at: float) -> None:
        kind = packet[:1]
        if kind == b"4":
            self._socketio(packet[1:], received_at)
        elif kind == b"2":  # ping: answer at once, as every client must within pingTimeout
            self._send_text(b"3" + packet[1:])
        elif kind == b"0":
            self.ping_interval_s = orjson.loads(packet[1:])["pingInterval"] / 1000
            auth = orjson.dumps(self.auth) if self.auth is not None else b""
            self._send_text(b"40" + self._prefix + auth)
        elif kind == b"1":
            self.transport.close()

    def _socketio(self, packet: bytes, received_at: float) -> None:
        kind, rest = packet[:1], packet[1:]
        if self._prefix:
            if not rest.startswith(self._prefix):
                return  # another namespace's packet
            rest = rest[len(self._prefix) :]
        if kind == b"3":
            self._ack(rest)
        elif kind == b"2":
            self._event(rest, received_at)
        elif kind == b"0":
            self.connected = True
            if not self._ready.done():
                self._ready.set_result(True)
        elif kind == b"4":
            message = orjson.loads(rest).get("message") if rest else None
            self._fail(ConnectError(f"refused: {message}"))
        elif kind == b"1":
            self.connected = False
            self._fail(Disconnected("the server left the namespace"))

    def _ack(self, body: bytes) -> None:
        digits = _leading_digits(body)
        callback = self._acks.pop(int(body[:digits]), None)
        if callback is not None:
            args = orjson.loads(body[digits:])
            callback(args[0] if args else None, None)

    def _event(self, body: bytes, received_at: float) -> None:
        args = orjson.loads(body[_leading_digits(body) :])
        handler = self.handlers.get(args[0])
        if handler is not None:
            handler(received_at, *args[1:])

    def _send_packet(self, kind: bytes, body: bytes) -> None:
        self._send_text(b"4" + kind + self._prefix + body)

    def _fail(self, exc: Exception) -> None:
        if not self._ready.done():
            self._ready.set_exception(exc)
            self._ready.exception()  # retrieved: no "never retrieved" warning if nobody waits
        callbacks, self._acks = list(self._acks.values()), {}
        for callback in callbacks:
            callback(None, exc)


def _leading_digits(data: bytes) -> int:
    count = 0
    while count < len(data) and 48 <= data[count] <= 57:
        count += 1
    return count
