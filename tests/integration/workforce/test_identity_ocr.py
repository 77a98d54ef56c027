"""Registration without typing: the ID card read from photos (OCR on generated, fictional cards)
and the bank named from the card number's BIN."""

import io
import logging
import threading
import time

import pytest
import requests
from stdnum import luhn

from backend import storage
from backend.workforce import ocr
from tests.fixtures.id_card_image import garbage_png, make_card
from tests.integration.workforce.conftest import MOBILE

pytest.importorskip("rapidocr_onnxruntime")


def card_number(prefix: str, length: int = 19) -> str:
    """A Luhn-valid card number starting with `prefix`."""
    body = prefix + "1" * (length - len(prefix) - 1)
    return body + luhn.calc_check_digit(body)


def _photos(front: bytes, back: bytes | None = None) -> dict:
    files = {"front": (io.BytesIO(front), "front.png")}
    if back is not None:
        files["back"] = (io.BytesIO(back), "back.png")
    return files


def _read(client, headers, front, back=None):
    return client.post(
        f"{MOBILE}/me/identity/ocr", headers=headers, data=_photos(front, back), content_type="multipart/form-data"
    )


def _stored_files(app) -> set:
    with app.app_context():
        root = storage.upload_root()
        return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def test_the_card_photos_are_read_and_the_fields_confirmed_as_they_came(client, app, register, caplog):
    caplog.set_level(logging.DEBUG)
    headers, _ = register()
    card = make_card(seed=3, camera=True)
    files_before = _stored_files(app)

    read = _read(client, headers, card.front_png, card.back_png)

    assert read.status_code == 200, read.get_json()
    body = read.get_json()
    assert {key: body[key] for key in card.expected()} == card.expected()
    assert body["id_number_valid"] is True and body["problems"] == []
    assert set(body["confidence"]) == {"name", "id_number", "validity"}
    assert all(0.5 < value <= 1 for value in body["confidence"].values())
    assert _stored_files(app) == files_before, "reading a card stores no photo"
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert card.id_number not in logged and card.name not in logged

    saved = client.put(
        f"{MOBILE}/me/identity",
        headers=headers,
        json={
            "legal_name": body["name"],
            "id_number": body["id_number"],
            "id_valid_from": body["valid_from"],
            "id_valid_to": body["valid_to"],
        },
    )
    assert saved.status_code == 200, saved.get_json()
    me = saved.get_json()
    assert me["legal_name"] == card.name and "identity" not in me["missing"]
    assert (me["id_valid_from"], me["id_valid_to"]) == (card.valid_from, card.valid_to)


@pytest.mark.parametrize(
    ("validity", "field"),
    [
        ({"id_valid_from": "2010-01-01", "id_valid_to": "2020-01-01"}, "id_valid_to"),
        ({"id_valid_from": "2020-01-01", "id_valid_to": "2019-01-01"}, "id_valid_to"),
        ({"id_valid_from": "2999-01-01", "id_valid_to": "long_term"}, "id_valid_from"),
        ({"id_valid_from": "2020-01-01"}, "id_valid_to"),
        ({"id_valid_from": None, "id_valid_to": "2040-01-01"}, "id_valid_from"),
        ({"id_valid_from": "2020-01-01", "id_valid_to": "2040-02-30"}, "id_valid_to"),
        ({"id_valid_from": "2020-01-01", "id_valid_to": "forever"}, "id_valid_to"),
    ],
    ids=["expired", "ends-before-it-starts", "starts-in-the-future", "no-end", "no-start", "no-such-day", "not-a-date"],
)
def test_a_card_not_in_force_is_refused_naming_the_date(client, register, validity, field):
    headers, _ = register()
    card = make_card(seed=8)
    body = {"legal_name": card.name, "id_number": card.id_number, **validity}
    refused = client.put(f"{MOBILE}/me/identity", headers=headers, json=body)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["errors"][0]["field"] == field


def test_a_long_term_card_is_kept_as_long_term(client, register):
    headers, _ = register()
    card = make_card(seed=8)
    body = {"legal_name": card.name, "id_number": card.id_number, "id_valid_from": "2015-03-01"}
    saved = client.put(f"{MOBILE}/me/identity", headers=headers, json={**body, "id_valid_to": "long_term"})
    assert saved.status_code == 200 and saved.get_json()["id_valid_to"] == "long_term"


def test_without_the_back_the_validity_is_asked_for(client, register):
    headers, _ = register()
    card = make_card(seed=4)
    body = _read(client, headers, card.front_png).get_json()
    assert body["name"] == card.name and body["id_number"] == card.id_number
    assert body["valid_from"] is None and body["valid_to"] is None
    assert "back_side_missing" in [p["code"] for p in body["problems"]]


@pytest.mark.parametrize(
    ("front", "back", "field"),
    [
        (b"GIF89a not a photo", None, "front"),
        (garbage_png(), None, "front"),
        (b"", None, "front"),
        ("card", garbage_png(), "back"),
    ],
    ids=["not-an-image", "no-card-text", "empty", "back-without-card-text"],
)
def test_a_photo_that_is_no_id_card_is_refused_naming_the_side(client, register, front, back, field):
    headers, _ = register()
    front = make_card(seed=5).front_png if front == "card" else front
    refused = _read(client, headers, front, back)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["errors"][0]["field"] == field


def test_a_server_with_cards_queued_asks_to_come_back(client, register, monkeypatch):
    headers, _ = register()
    monkeypatch.setattr(ocr, "_in_flight", ocr.MAX_IN_FLIGHT)
    busy = _read(client, headers, make_card(seed=6).front_png)
    assert busy.status_code == 503 and busy.get_json()["retry_after"] > 0


def test_the_ocr_needs_a_technician(client):
    assert _read(client, {}, make_card(seed=6).front_png).status_code == 401


@pytest.mark.parametrize(
    ("prefix", "code", "name", "card_type"),
    [
        ("622202", "ICBC", "中国工商银行", "debit"),
        ("436742", "CCB", "中国建设银行", "debit"),
        ("622848", "ABC", "中国农业银行", "debit"),
        ("621661", "BOC", "中国银行", "debit"),
        ("622588", "CMB", "招商银行", "debit"),
        ("621799", "PSBC", "中国邮政储蓄银行", "debit"),
        ("622262", "BOCOM", "交通银行", "debit"),
        ("625958", "SPDB", "上海浦东发展银行", "credit"),
    ],
)
def test_the_bank_is_named_by_the_card_numbers_bin(client, register, prefix, code, name, card_type):
    headers, _ = register()
    found = client.get(f"{MOBILE}/banks/lookup", headers=headers, query_string={"card_number": card_number(prefix)})
    assert found.status_code == 200, found.get_json()
    body = found.get_json()
    assert (body["bank_code"], body["bank_name"], body["card_type"], body["bin"]) == (code, name, card_type, prefix)
    assert body["bank_name_en"] and body["table_date"] == "2026-12-01"


def test_the_longest_prefix_wins(client, register):
    headers, _ = register()
    body = client.get(
        f"{MOBILE}/banks/lookup", headers=headers, query_string={"card_number": card_number("621056801")}
    ).get_json()
    assert body["bin"] == "621056801" and body["bank_code"] == "BOCOM"


def test_an_unknown_or_broken_card_number_is_told_apart(client, register):
    headers, _ = register()
    lookup = f"{MOBILE}/banks/lookup"
    unknown = client.get(lookup, headers=headers, query_string={"card_number": card_number("411111", 16)})
    assert unknown.status_code == 404 and unknown.get_json()["table_date"] == "2026-12-01"
    for bad in ("6222 02ab 3456", "6222021234567890127", "1234"):
        refused = client.get(lookup, headers=headers, query_string={"card_number": bad})
        assert refused.status_code == 422 and refused.get_json()["errors"][0]["field"] == "card_number", bad
    assert client.get(lookup, query_string={"card_number": card_number("622202")}).status_code == 401


def test_the_payout_account_gets_its_bank_from_the_bin(client, register):
    headers, _ = register()
    put = f"{MOBILE}/me/payout-account"

    filled = client.put(put, headers=headers, json={"kind": "bank_card", "account": card_number("621700")})
    assert filled.status_code == 200 and filled.get_json()["payout_account"]["bank_name"] == "中国建设银行"

    own = {"kind": "bank_card", "account": card_number("621700"), "bank_name": "建行"}
    said = client.put(put, headers=headers, json=own)
    assert said.get_json()["payout_account"]["bank_name"] == "建行", "what the technician says is kept"

    unknown = client.put(put, headers=headers, json={"kind": "bank_card", "account": card_number("411111", 16)})
    assert unknown.status_code == 200 and unknown.get_json()["payout_account"]["bank_name"] is None


def test_the_web_process_keeps_serving_while_a_card_is_read(live_server, factory):
    """In the real gevent web process the OCR runs off the event loop: requests sent while a card
    is being read are answered at once, not after it."""
    headers = factory.technician_headers(factory.technician(status="onboarding"))
    card = make_card(seed=9, camera=True)
    reading = {}

    def read():
        started = time.monotonic()
        files = {"front": ("front.png", card.front_png), "back": ("back.png", card.back_png)}
        reading["response"] = requests.post(f"{live_server}{MOBILE}/me/identity/ocr", headers=headers, files=files)
        reading["seconds"] = time.monotonic() - started

    worker = threading.Thread(target=read)
    worker.start()
    waits = []
    while worker.is_alive():
        asked = time.monotonic()
        assert requests.get(f"{live_server}/healthz", timeout=60).status_code in (200, 503)
        waits.append(time.monotonic() - asked)
    worker.join()

    assert reading["response"].status_code == 200 and reading["response"].json()["name"] == card.name
    assert len(waits) >= 5, f"only {len(waits)} requests answered during a {reading['seconds']:.1f} s reading"
    assert max(waits) < reading["seconds"] / 3, "a request waited for the card reading to end"
