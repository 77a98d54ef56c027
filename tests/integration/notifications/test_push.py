"""Push and SMS: offers reach a phone with no socket through the provider (the push sandbox,
a live process speaking JPush v3 and FCM v1); urgent assignments fall back to SMS when nobody
acknowledges them; quiet hours hold normal notifications, not urgent ones; dead tokens go."""

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from backend.extensions import db
from backend.models import Device, Notification, Technician
from backend.models.base import utcnow
from backend.notifications import jobs, outbox
from backend.notifications.outbox import notify_technician
from tests.integration.notifications import sms_capture
from tests.integration.orders.helpers import API, CONSOLE, MOBILE, act, create, online, run_jobs

SHANGHAI = ZoneInfo("Asia/Shanghai")


def register(client, headers, token, provider="jpush", platform="android", expect=200):
    body = {"platform": platform, "provider": provider, "push_token": token, "app_version": "1.4.0"}
    response = client.put(f"{MOBILE}/me/devices", headers=headers, json=body)
    assert response.status_code == expect, response.get_json()
    return response.get_json()


def notifications(app, technician_id):
    with app.app_context():
        rows = db.session.scalars(
            select(Notification).where(Notification.technician_id == technician_id).order_by(Notification.id)
        ).all()
        db.session.expunge_all()
        return rows


def test_an_offer_reaches_a_phone_without_a_socket_through_both_providers(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-reg-1")
    register(client, world["tech_a_h"], "fcm-token-1", provider="fcm")
    online(app, world["tech_a"])  # on shift (heartbeat), but the app holds no socket
    order = create(client, world["x1_admin"], publish=True)
    offer = client.get(f"{MOBILE}/offers", headers=world["tech_a_h"]).get_json()["items"][0]

    run_jobs(app, "high")

    jpush = sandbox.calls("jpush-reg-1")
    assert [c["status"] for c in jpush] == [200]
    extras = jpush[0]["body"]["notification"]["android"]["extras"]
    assert extras["notification_kind"] == "offer"
    assert (extras["order_id"], extras["offer_id"]) == (str(order["id"]), str(offer["id"]))
    assert jpush[0]["body"]["options"]["third_party_channel"]["huawei"]["category"] == "WORK"
    fcm = sandbox.calls("fcm-token-1")
    assert [c["status"] for c in fcm] == [200]
    assert fcm[0]["body"]["message"]["data"]["order_id"] == str(order["id"])

    seen = client.get(f"{CONSOLE}/technicians/{world['tech_a']}/notifications", headers=world["dispatcher"])
    [row] = seen.get_json()["items"]
    assert (row["kind"], row["state"], row["urgent"]) == ("offer", "sent", False)
    assert sorted(r["provider"] for r in row["results"] if r["outcome"] == "delivered") == ["fcm", "jpush"]


def test_sending_twice_pushes_once(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-once")
    with app.app_context():
        first = notify_technician(world["tech_a"], "safety", {"message": "storm"}, dedupe_key="safety:storm:1")
        again = notify_technician(world["tech_a"], "safety", {"message": "storm"}, dedupe_key="safety:storm:1")
        db.session.commit()
        assert again is None, "the same key is stored once"
        jobs.send(first)
        jobs.send(first)
    run_jobs(app, "high")  # the job enqueued at commit finds it sent already
    assert len(sandbox.calls("jpush-once")) == 1


def test_an_unacknowledged_urgent_assignment_falls_back_to_sms(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-urgent")
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], dispatch_mode="auto", priority="urgent", publish=True)
    assert order["technician_id"] == world["tech_a"]
    run_jobs(app, "high")
    [row] = notifications(app, world["tech_a"])
    assert (row.kind, row.urgent, row.state) == ("assignment", True, "sent")
    assert sandbox.calls("jpush-urgent")[0]["body"]["notification"]["android"]["priority"] == 2

    with app.app_context():
        jobs.sweep(now=row.sms_due_at - timedelta(seconds=1))
        assert sms_capture.SENT == [], "not before the timeout"
        jobs.sweep(now=row.sms_due_at + timedelta(seconds=1))
        jobs.sweep(now=row.sms_due_at + timedelta(seconds=30))
        phone = db.session.get(Technician, world["tech_a"]).user.phone
    assert len(sms_capture.SENT) == 1, "texted once"
    assert sms_capture.SENT[0][0] == phone and f"#{order['id']}" in sms_capture.SENT[0][1]
    [row] = notifications(app, world["tech_a"])
    assert row.sms_sent_at is not None and row.results[-1]["channel"] == "sms"


def test_an_urgent_assignment_answered_in_the_app_is_not_texted(app, client, world, sandbox):
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], dispatch_mode="auto", priority="urgent", publish=True)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/accept")
    [row] = notifications(app, world["tech_a"])
    with app.app_context():
        jobs.sweep(now=row.sms_due_at + timedelta(seconds=1))
    assert sms_capture.SENT == []
    [row] = notifications(app, world["tech_a"])
    assert row.acknowledged_at is not None


def test_acknowledging_in_the_app_stops_the_sms(app, client, world, sandbox):
    online(app, world["tech_a"])
    create(client, world["x1_admin"], dispatch_mode="auto", priority="urgent", publish=True)
    [row] = notifications(app, world["tech_a"])
    act(client, world["tech_a_h"], f"{MOBILE}/me/notifications/{row.id}/ack")
    with app.app_context():
        jobs.sweep(now=row.sms_due_at + timedelta(seconds=1))
    assert sms_capture.SENT == []


def test_quiet_hours_hold_a_normal_notification_but_not_an_urgent_one(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-quiet")
    local_now = datetime.now(SHANGHAI)
    quiet = {
        "time_zone": "Asia/Shanghai",
        "quiet_start": (local_now - timedelta(hours=1)).strftime("%H:%M"),
        "quiet_end": (local_now + timedelta(hours=1)).strftime("%H:%M"),
    }
    prefs = client.put(f"{MOBILE}/me/notification-preferences", headers=world["tech_a_h"], json=quiet)
    assert prefs.status_code == 200, prefs.get_json()
    online(app, world["tech_a"])
    create(client, world["x1_admin"], publish=True)  # a grab offer: normal
    create(client, world["x1_admin"], dispatch_mode="auto", priority="urgent", publish=True)
    run_jobs(app, "high")

    offer, urgent = notifications(app, world["tech_a"])
    assert (offer.kind, offer.state) == ("offer", "held")
    assert (urgent.kind, urgent.state) == ("assignment", "sent")
    pushed = [c["body"]["notification"]["android"]["extras"] for c in sandbox.calls("jpush-quiet")]
    assert [p["notification_kind"] for p in pushed] == ["assignment"]
    end = datetime.combine(local_now.date(), time.fromisoformat(quiet["quiet_end"]), tzinfo=SHANGHAI)
    if end < local_now:
        end += timedelta(days=1)
    assert offer.held_until == end

    with app.app_context():
        assert jobs.send(offer.id, now=offer.held_until - timedelta(minutes=1)) == "held"
        assert jobs.send(offer.id, now=offer.held_until + timedelta(seconds=1)) == "sent"
    assert len(sandbox.calls("jpush-quiet")) == 2, "sent when the quiet hours end"


def test_a_muted_kind_is_not_pushed(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-muted")
    client.put(f"{MOBILE}/me/notification-preferences", headers=world["tech_a_h"], json={"muted_kinds": ["offer"]})
    online(app, world["tech_a"])
    create(client, world["x1_admin"], publish=True)
    run_jobs(app, "high")
    assert [n.state for n in notifications(app, world["tech_a"])] == ["muted"]
    assert sandbox.calls("jpush-muted") == []


def test_a_token_the_provider_calls_dead_is_dropped(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-live")
    register(client, world["tech_a_h"], "jpush-gone")
    register(client, world["tech_a_h"], "fcm-gone", provider="fcm")
    sandbox.kill_token("jpush-gone")
    sandbox.kill_token("fcm-gone")
    online(app, world["tech_a"])
    create(client, world["x1_admin"], publish=True)
    run_jobs(app, "high")

    left = client.get(f"{MOBILE}/me/devices", headers=world["tech_a_h"]).get_json()["items"]
    assert len(left) == 1
    with app.app_context():
        assert db.session.scalars(select(Device.token)).all() == ["jpush-live"]
    [row] = notifications(app, world["tech_a"])
    outcomes = sorted((r["provider"], r["outcome"]) for r in row.results)
    assert outcomes == [("fcm", "dead_token"), ("jpush", "dead_token"), ("jpush", "delivered")]
    assert row.state == "sent"


def test_the_holder_of_a_cancelled_order_is_told(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-cancel")
    online(app, world["tech_a"])
    order = create(client, world["x1_admin"], publish=True)
    act(client, world["tech_a_h"], f"{MOBILE}/orders/{order['id']}/claim")
    act(client, world["x1_admin"], f"{API}/orders/{order['id']}/cancel", reason="customer away")
    run_jobs(app, "high")
    kinds = [n.kind for n in notifications(app, world["tech_a"])]
    assert kinds == ["offer", "cancellation"]
    last = sandbox.calls("jpush-cancel")[-1]["body"]["notification"]["android"]
    assert "customer away" in last["alert"] and last["extras"]["order_id"] == str(order["id"])


def test_devices_are_one_per_token_and_only_their_owner_removes_them(app, client, world, sandbox):
    first = register(client, world["tech_a_h"], "shared-phone")
    again = register(client, world["tech_a_h"], "shared-phone")
    assert first["id"] == again["id"]
    moved = register(client, world["tech_b_h"], "shared-phone")  # someone else signs in on it
    assert moved["id"] == first["id"]
    assert client.get(f"{MOBILE}/me/devices", headers=world["tech_a_h"]).get_json()["items"] == []
    gone = client.delete(f"{MOBILE}/me/devices/{first['id']}", headers=world["tech_a_h"])
    assert gone.status_code == 404
    assert client.delete(f"{MOBILE}/me/devices/{first['id']}", headers=world["tech_b_h"]).status_code == 204
    bad = client.put(f"{MOBILE}/me/devices", headers=world["tech_a_h"], json={"platform": "symbian", "push_token": "x"})
    assert bad.status_code == 422
    fields = {e.get("field") or e.get("pointer") for e in bad.get_json().get("errors", [])}
    assert fields, bad.get_json()


def test_notifications_of_unknown_technicians_are_404_in_the_console(client, world, sandbox):
    assert client.get(f"{CONSOLE}/technicians/999999/notifications", headers=world["dispatcher"]).status_code == 404
    assert client.get(f"{CONSOLE}/technicians/1/notifications", headers=world["tech_a_h"]).status_code == 403


def test_a_notification_carries_ids_not_state(app, world, sandbox):
    with app.app_context():
        notification_id = notify_technician(
            world["tech_a"], "daily_record", {"record_id": 41, "work_date": "2026-11-30"}, dedupe_key="rec:41:v1"
        )
        db.session.commit()
        row = db.session.get(Notification, notification_id)
        message = jobs.message_for(row)
    assert message.data == {
        "record_id": "41",
        "work_date": "2026-11-30",
        "notification_id": str(notification_id),
        "notification_kind": "daily_record",
    }
    assert "2026-11-30" in message.body and not row.urgent and row.created_at <= utcnow()


def test_a_provider_failure_is_retried_then_given_up(app, client, world, sandbox, monkeypatch):
    register(client, world["tech_a_h"], "jpush-flaky")
    monkeypatch.setitem(app.config, "PUSH_JPUSH_MASTER_SECRET", "wrong")  # the provider answers 401
    with app.app_context():
        notification_id = notify_technician(world["tech_a"], "safety", {"message": "gas leak"}, dedupe_key="s:1")
        db.session.commit()
        states = [jobs.send(notification_id) for _ in range(3)]
    assert states == ["pending", "pending", "failed"]
    [row] = notifications(app, world["tech_a"])
    assert [r["status"] for r in row.results] == [401, 401, 401] and row.attempts == 3
    assert len(sandbox.calls("jpush-flaky")) == 3


def test_many_notifications_in_one_commit_are_written_at_once_and_each_pushed_once(app, client, world, sandbox):
    register(client, world["tech_a_h"], "jpush-many")
    count = outbox.SEND_ONE_BY_ONE + 1  # past the threshold: sent by chunk jobs
    day = "2026-12-01"
    notices = [(world["tech_a"], {"record_id": i, "work_date": day}, f"daily_record:{i}") for i in range(count)]
    with app.app_context():
        assert len(outbox.notify_technicians("daily_record", notices)) == count
        db.session.commit()
        assert outbox.notify_technicians("daily_record", notices) == [], "the same keys are stored once"
        db.session.commit()
    run_jobs(app, "high")
    extras = [c["body"]["notification"]["android"]["extras"] for c in sandbox.calls("jpush-many")]
    assert sorted(int(e["record_id"]) for e in extras) == list(range(count))
