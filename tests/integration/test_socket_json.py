"""backend/socket_json.py: the JSON module and the packet class python-socketio is given."""

import pytest
from socketio import packet

from backend import socket_json


@pytest.mark.parametrize(
    "data",
    [
        None,
        "text",
        7,
        1.5,
        True,
        b"raw",
        bytearray(b"raw"),
        ["a", 1, None],
        ["a", [1, {"deep": b"x"}]],
        {"accepted": ["a", "b"], "flagged": {"a": "mock"}, "rejected": []},
        {"items": [{"lon": 104.0, "blob": bytearray(b"x")}]},
        ("a", b"x"),  # a tuple is not looked into, by either
    ],
)
def test_the_binary_test_answers_as_the_library_does(data):
    assert socket_json.Packet.data_is_binary(data) == packet.Packet.data_is_binary(data)


def test_the_server_builds_its_packets_with_it(app):
    from backend.extensions import socketio

    assert socketio.server.packet_class is socket_json.Packet
    assert socket_json.Packet.json is socket_json
    encoded = socket_json.Packet(packet.ACK, data=[{"accepted": ["a"]}], namespace="/technician", id=3).encode()
    assert encoded == '3/technician,3[{"accepted":["a"]}]'
