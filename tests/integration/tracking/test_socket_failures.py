"""What a phone sees when the server fails inside a handler: a failed connect is refused (the
phone connects again), never left connected without its technician; a failed location
message is answered with the internal error and nothing stored."""

import pytest

from mobile_api import sockets
from mobile_api.sockets import TECHNICIAN
from tests.integration.tracking.conftest import fix


def _broken(*_args, **_kwargs):
    raise RuntimeError("the database is gone")


def test_a_connect_that_fails_inside_is_refused(technician, in_process_phone, monkeypatch):
    _, token, _ = technician()
    monkeypatch.setattr(sockets, "_technician_of", _broken)
    assert not in_process_phone(token).is_connected(TECHNICIAN)


@pytest.mark.filterwarnings("ignore")
def test_a_location_message_that_fails_inside_gets_the_internal_error(technician, in_process_phone, monkeypatch):
    _, token, _ = technician()
    socket = in_process_phone(token)
    monkeypatch.setattr(sockets.tracking, "ingest", _broken)
    ack = socket.emit("location", [fix("f1")], namespace=TECHNICIAN, callback=True)
    assert ack == {"error": "internal", "message": "internal error; it has been logged"}
