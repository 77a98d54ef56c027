"""RQ jobs run in a real worker with an app context; Socket.IO consoles are
authenticated at connect and receive what other processes emit through Redis."""

import pytest
import socketio as socketio_client
from rq import SimpleWorker

from backend.extensions import socketio
from backend.jobs import heartbeat, queue
from backend.jobs.schedule import PERIODIC_JOBS, register_all
from backend.realtime import CONSOLE, STAFF_ROOM, external_emitter
from tests.waiting import wait_until


def test_job_runs_in_a_worker_and_health_sees_it(app, client):
    with app.app_context():
        heartbeat.beat.enqueue()
        assert queue("maintenance").count == 1
        SimpleWorker([queue("maintenance")], connection=app.extensions["redis"]).work(burst=True)
        assert queue("maintenance").count == 0
    age = client.get("/healthz").get_json()["checks"]["queues"]["scheduler_heartbeat_age_s"]
    assert age is not None and age < 5


def test_periodic_jobs_register_with_the_cron_scheduler(app):
    from rq.cron import CronScheduler

    with app.app_context():
        scheduler = CronScheduler(connection=app.extensions["redis"])
        register_all(scheduler)
        assert len(scheduler.get_jobs()) == len(PERIODIC_JOBS)
        enqueued = scheduler.enqueue_jobs()
        assert enqueued and queue("maintenance").count >= 1


def test_console_socket_refuses_missing_and_bad_tokens(app, factory):
    anonymous = socketio.test_client(app, namespace=CONSOLE)
    assert not anonymous.is_connected(CONSOLE)
    forged = socketio.test_client(app, namespace=CONSOLE, auth={"token": "not-a-jwt"})
    assert not forged.is_connected(CONSOLE)
    client_user = factory.token(factory.user("client_admin"))
    assert not socketio.test_client(app, namespace=CONSOLE, auth={"token": client_user}).is_connected(CONSOLE)


def test_console_receives_events_emitted_by_other_processes_through_redis(app, factory, live_server):
    dispatcher = factory.user("dispatcher")
    received = []
    console = socketio_client.Client()
    console.on("announcement", received.append, namespace=CONSOLE)
    console.connect(
        live_server, namespaces=[CONSOLE], auth={"token": factory.token(dispatcher)}, transports=["websocket"]
    )
    try:
        assert console.call("whoami", namespace=CONSOLE, timeout=5) == {"user_id": dispatcher}
        with app.app_context():
            external_emitter().emit("announcement", {"text": "hello"}, to=STAFF_ROOM, namespace=CONSOLE)
        wait_until(lambda: received, message="no announcement")
        assert received == [{"text": "hello"}]
    finally:
        console.disconnect()


def test_live_server_refuses_a_socket_without_a_dispatcher_token(factory, live_server):
    for auth in (None, {"token": "forged"}, {"token": factory.token(factory.user("client_admin"))}):
        console = socketio_client.Client()
        with pytest.raises(socketio_client.exceptions.ConnectionError):
            console.connect(live_server, namespaces=[CONSOLE], auth=auth, transports=["websocket"], wait_timeout=5)
