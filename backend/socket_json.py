"""orjson behind the `dumps`/`loads` interface python-socketio and python-engineio take as `json=`.

Every Socket.IO packet (a phone's batch, its ack, a console's "positions") goes through
here; orjson encodes and decodes them several times faster than the standard library
(bench/tracking.py, README "Live tracking"). What orjson refuses is handed to the standard
library, so the wire format accepted and produced stays what it was: integers beyond 64
bits and the NaN/Infinity literals some clients send still parse, and an object neither
can encode still raises TypeError. One difference, for the better: a NaN going out is
written as null (JSON has no NaN; browsers' JSON.parse refused the standard library's).
"""

import json

import orjson
from socketio import packet

_OPTIONS = orjson.OPT_NON_STR_KEYS  # the standard library also writes int keys as strings


def dumps(obj, **_options) -> str:
    # python-socketio passes separators=(",", ":"): orjson's output is compact already.
    try:
        return orjson.dumps(obj, option=_OPTIONS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(obj, separators=(",", ":"))


def loads(text, **_options):
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


class Packet(packet.Packet):
    """python-socketio's packet (passed as its `serializer`) with a faster test for binary data,
    which runs on every packet built: every ack and every console update. The same answer as
    the library's (bytes anywhere inside lists and dicts make a binary packet), without building
    a list and folding it with a lambda at every level."""

    @classmethod
    def data_is_binary(cls, data) -> bool:
        kind = type(data)
        if kind is str or kind is int or kind is float or data is None:
            return False
        if isinstance(data, bytes | bytearray):
            return True
        if isinstance(data, list):
            return any(cls.data_is_binary(item) for item in data)
        if isinstance(data, dict):
            return any(cls.data_is_binary(item) for item in data.values())
        return False
