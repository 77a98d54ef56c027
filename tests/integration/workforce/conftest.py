"""Workforce fixtures: the seeded catalogues, phone registration, valid ID numbers."""

import logging
import re
from datetime import date

import pytest
from stdnum.cn import ric

from tests.factories import PASSWORD

MOBILE = "/api/mobile/v1"
CONSOLE = "/api/console/v1"
VALID_CARD = "6222021234567890128"  # 19 digits, passes Luhn


def id_number(birth: date | str = "19900101", area="110105", order="002") -> str:
    """A resident ID number with a correct MOD 11-2 check digit."""
    birth = birth.strftime("%Y%m%d") if isinstance(birth, date) else birth
    base = f"{area}{birth}{order}"
    return base + ric.calc_check_digit(base + "0")


@pytest.fixture(autouse=True)
def _catalogue(factory):
    factory.workforce_catalogue()


@pytest.fixture
def sms_codes(caplog):
    """Read verification codes from the development SMS provider's log lines."""
    caplog.set_level(logging.INFO, logger="backend.sms")

    def last_code():
        lines = [r.getMessage() for r in caplog.records if r.name == "backend.sms"]
        return re.search(r"code (\d{6})", lines[-1]).group(1)

    return last_code


@pytest.fixture
def register(client, sms_codes):
    """Register a technician through the API; returns (headers, phone)."""
    counter = iter(range(10_000_000, 99_999_999))

    def _register(phone=None):
        phone = phone or f"137{next(counter)}"
        assert client.post(f"{MOBILE}/auth/sms-code", json={"phone": phone}).status_code == 202
        response = client.post(
            f"{MOBILE}/auth/register",
            json={"phone": phone, "code": sms_codes(), "password": PASSWORD, "name": "Li Lei"},
        )
        assert response.status_code == 201, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}, phone

    return _register


@pytest.fixture
def onboarded(client, register):
    """A technician who has completed every step and submitted; returns (headers, technician id)."""

    def _onboard(id_no=None, role="repair"):
        headers, _ = register()
        put = client.put(
            f"{MOBILE}/me/identity", headers=headers, json={"legal_name": "李雷", "id_number": id_no or id_number()}
        )
        assert put.status_code == 200, put.get_json()
        assert (
            client.put(
                f"{MOBILE}/me/payout-account", headers=headers, json={"kind": "bank_card", "account": VALID_CARD}
            ).status_code
            == 200
        )
        assert client.put(f"{MOBILE}/me/role", headers=headers, json={"role": role}).status_code == 200
        agreement = client.get(f"{MOBILE}/agreements/current", headers=headers).get_json()
        signed = client.post(
            f"{MOBILE}/me/agreements",
            headers=headers,
            json={
                "version": agreement["version"],
                "text_sha256": agreement["body_sha256"],
                "device": "Pixel 8 / app 1.0",
            },
        )
        assert signed.status_code == 201, signed.get_json()
        submitted = client.post(f"{MOBILE}/me/submit", headers=headers)
        assert submitted.status_code == 200, submitted.get_json()
        return headers, submitted.get_json()["id"]

    return _onboard
