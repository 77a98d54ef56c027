"""Canonical JSON for daily records: one byte sequence per record, whatever the input order."""

import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from backend.money.digest import canonical_json, digest


def test_keys_sorted_no_spaces_utf8():
    record = {"b": 1, "a": [2, {"y": "工单", "x": None}], "c": True}
    assert canonical_json(record) == '{"a":[2,{"x":null,"y":"工单"}],"b":1,"c":true}'.encode()


def test_the_same_record_in_another_order_has_the_same_digest():
    one = {"technician_id": 7, "orders": [{"id": 1, "pay_fen": 1851}], "day": date(2026, 12, 1)}
    two = {"day": date(2026, 12, 1), "orders": [{"pay_fen": 1851, "id": 1}], "technician_id": 7}
    assert digest(one) == digest(two)
    assert digest(one) == hashlib.sha256(canonical_json(one)).hexdigest()
    assert len(digest(one)) == 64


def test_dates_decimals_and_utc_times():
    shanghai = timezone(timedelta(hours=8))
    record = {
        "day": date(2026, 12, 1),
        "closed_at": datetime(2026, 12, 1, 23, 59, tzinfo=shanghai),
        "points": Decimal("12.50"),
    }
    assert canonical_json(record) == b'{"closed_at":"2026-12-01T15:59:00Z","day":"2026-12-01","points":"12.50"}'


def test_a_changed_fen_changes_the_digest():
    assert digest({"pay_fen": 1851}) != digest({"pay_fen": 1852})


@pytest.mark.parametrize(
    "bad",
    [
        {"pay": 18.51},
        {"at": datetime(2026, 12, 1, 12, 0)},
        {1: "numeric key"},
        {"big": 2**60},
        {"x": {1, 2}},
        {"p": Decimal("Infinity")},
    ],
)
def test_values_without_one_canonical_form_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        canonical_json(bad)


def test_microseconds_kept_only_when_present():
    assert canonical_json(datetime(2026, 1, 1, tzinfo=UTC)) == b'"2026-01-01T00:00:00Z"'
    assert canonical_json(datetime(2026, 1, 1, 0, 0, 0, 5, tzinfo=UTC)) == b'"2026-01-01T00:00:00.000005Z"'
