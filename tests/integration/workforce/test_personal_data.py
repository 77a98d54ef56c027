"""PIPL: ID and card numbers are validated, stored only encrypted, shown only masked, never logged."""

import json
import logging
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import text

from backend import pii
from backend.extensions import db
from tests.integration.workforce.conftest import VALID_CARD, id_number

MOBILE = "/api/mobile/v1"
CONSOLE = "/api/console/v1"
TODAY = datetime.now(UTC).date()


def _identity_columns(app):
    with app.app_context():
        return db.session.execute(
            text(
                "SELECT legal_name, id_number_enc, id_number_hash, id_number_masked, birth_date"
                " FROM technician_profiles"
            )
        ).one()


def _under_age_birth():
    return date(TODAY.year - 17, TODAY.month, min(TODAY.day, 28))


def _future_birth():
    return TODAY + timedelta(days=400)


BAD_IDS = {
    "wrong checksum": lambda: id_number()[:-1] + ("1" if id_number()[-1] != "1" else "2"),
    "impossible date": lambda: id_number("19900230"),
    "future birth": lambda: id_number(_future_birth()),
    "under age": lambda: id_number(_under_age_birth()),
    "too short": lambda: id_number()[:17],
    "letters": lambda: "11010519900101ABCD",
}


@pytest.mark.parametrize("case", list(BAD_IDS))
def test_bad_id_numbers_are_refused_and_nothing_is_stored(client, app, register, case):
    headers, _ = register()
    response = client.put(
        f"{MOBILE}/me/identity", headers=headers, json={"legal_name": "李雷", "id_number": BAD_IDS[case]()}
    )
    body = response.get_json()
    assert response.status_code == 422, body
    assert [e["field"] for e in body["errors"]] == ["id_number"]
    assert _identity_columns(app) == (None, None, None, None, None)


def test_each_id_rule_has_its_own_message(client, register):
    headers, _ = register()

    def message(number):
        response = client.put(f"{MOBILE}/me/identity", headers=headers, json={"legal_name": "x", "id_number": number})
        return response.get_json()["errors"][0]["message"]

    assert "check digit" in message(BAD_IDS["wrong checksum"]())
    assert "not a real date" in message(BAD_IDS["impossible date"]())
    assert "future" in message(BAD_IDS["future birth"]())
    assert "at least 18" in message(BAD_IDS["under age"]())


def test_age_is_counted_to_the_day(client, register):
    headers, _ = register()
    try:
        birthday = TODAY.replace(year=TODAY.year - 18)
    except ValueError:
        pytest.skip("today is 29 February")

    def status(birth):
        body = {"legal_name": "x", "id_number": id_number(birth)}
        return client.put(f"{MOBILE}/me/identity", headers=headers, json=body).status_code

    assert status(birthday + timedelta(days=1)) == 422
    assert status(birthday) == 200


def test_a_card_failing_luhn_is_refused_and_nothing_is_stored(client, app, register):
    headers, _ = register()
    bad = VALID_CARD[:-1] + str((int(VALID_CARD[-1]) + 1) % 10)
    response = client.put(f"{MOBILE}/me/payout-account", headers=headers, json={"kind": "bank_card", "account": bad})
    assert response.status_code == 422 and response.get_json()["errors"][0]["field"] == "account"
    with app.app_context():
        row = db.session.execute(text("SELECT payout_kind, payout_account_enc FROM technician_profiles")).one()
    assert tuple(row) == (None, None)


def test_no_plaintext_in_the_database_and_masked_in_every_response(client, app, factory, register, caplog):
    caplog.set_level(logging.DEBUG)
    number = id_number()
    headers, _ = register()
    responses = [
        client.put(f"{MOBILE}/me/identity", headers=headers, json={"legal_name": "李雷", "id_number": number}),
        client.put(f"{MOBILE}/me/payout-account", headers=headers, json={"kind": "bank_card", "account": VALID_CARD}),
        client.get(f"{MOBILE}/me", headers=headers),
    ]
    staff = factory.as_role("dispatcher")
    technician_id = responses[-1].get_json()["id"]
    responses += [
        client.get(f"{CONSOLE}/technicians", headers=staff),
        client.get(f"{CONSOLE}/technicians/{technician_id}", headers=staff),
    ]
    assert all(r.status_code == 200 for r in responses)
    for response in responses:
        raw = response.get_data(as_text=True)
        assert number not in raw and VALID_CARD not in raw
    detail = responses[-1].get_json()
    assert detail["id_number"] == "110105********0029"
    assert detail["payout_account"]["account"] == "*" * 15 + VALID_CARD[-4:]

    with app.app_context():
        dump = db.session.execute(text("SELECT row_to_json(p)::text FROM technician_profiles p")).scalar()
        enc = db.session.execute(text("SELECT id_number_enc, payout_account_enc FROM technician_profiles")).one()
    assert number not in dump and VALID_CARD not in dump
    assert number.encode() not in bytes(enc[0]) and VALID_CARD.encode() not in bytes(enc[1])
    with app.app_context():  # encrypted, not merely hashed: the key holder can read it back
        assert pii.decrypt(enc[0], "id_number") == number and pii.decrypt(enc[1], "payout_account") == VALID_CARD
        with pytest.raises(InvalidTag):  # bound to its column: a swapped ciphertext does not open
            pii.decrypt(enc[0], "payout_account")

    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "logging must be live for this check to mean anything"
    assert number not in logged and VALID_CARD not in logged


def test_a_rejected_id_number_is_not_logged_either(client, register, caplog):
    caplog.set_level(logging.DEBUG)
    headers, _ = register()
    bad = BAD_IDS["wrong checksum"]()
    response = client.put(f"{MOBILE}/me/identity", headers=headers, json={"legal_name": "x", "id_number": bad})
    assert response.status_code == 422 and bad not in response.get_data(as_text=True)
    assert bad not in "\n".join(r.getMessage() for r in caplog.records)


def test_the_same_id_number_cannot_be_used_twice(client, app, register):
    number = id_number()
    first, _ = register()
    second, _ = register()
    assert (
        client.put(f"{MOBILE}/me/identity", headers=first, json={"legal_name": "a", "id_number": number}).status_code
        == 200
    )
    dup = client.put(f"{MOBILE}/me/identity", headers=second, json={"legal_name": "b", "id_number": number})
    assert dup.status_code == 409 and dup.get_json()["errors"][0]["field"] == "id_number"
    with app.app_context():
        assert db.session.execute(text("SELECT count(id_number_hash) FROM technician_profiles")).scalar() == 1


def test_alipay_accounts_are_masked(client, register):
    headers, _ = register()
    response = client.put(
        f"{MOBILE}/me/payout-account", headers=headers, json={"kind": "alipay", "account": "worker.li@example.com"}
    )
    assert response.status_code == 200
    assert response.get_json()["payout_account"] == {"kind": "alipay", "account": "w***@example.com", "bank_name": None}
    assert "worker.li" not in json.dumps(response.get_json())


def test_identity_is_locked_once_submitted(client, onboarded):
    headers, _ = onboarded()
    response = client.put(
        f"{MOBILE}/me/identity", headers=headers, json={"legal_name": "x", "id_number": id_number("19850505")}
    )
    assert response.status_code == 409
