"""The field types every schema uses: apiflask.fields with the house rules for hostile input.

Import `from backend import fields` instead of apiflask's. The differences:
- Integer is strict (1.5, true and "1.5" are refused; digit strings are accepted for query strings
  and form fields) and bounded by what the column holds: PostgreSQL `integer` unless declared
  `Integer(bits=64)`; the bounds appear in the OpenAPI document.
- DateTime, AwareDateTime, NaiveDateTime and Date refuse years outside YEARS and UTC offsets
  PostgreSQL refuses (beyond ±15:59).
- Decimal documents its range as numbers even when it loads `as_string`.
Text with NUL characters or lone surrogates is refused for every field, query string and form
field by the request guard (backend/request_guard.py), before any schema runs.
"""

import re
from datetime import timedelta

from apiflask import validators
from apiflask.fields import *  # noqa: F403  (the module re-exports every field type)
from apiflask.fields import AwareDateTime as _AwareDateTime
from apiflask.fields import Date as _Date
from apiflask.fields import DateTime as _DateTime
from apiflask.fields import Decimal as _Decimal
from apiflask.fields import Integer as _Integer
from apiflask.fields import NaiveDateTime as _NaiveDateTime
from marshmallow import ValidationError

INT_BOUNDS = {32: (-(2**31), 2**31 - 1), 64: (-(2**63), 2**63 - 1)}
YEARS = (1900, 2999)  # plausible for anything the service refers to (2999 is a common "no end")
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59)  # PostgreSQL refuses larger offsets
_DIGITS = re.compile(r"[+-]?\d{1,20}")


class Integer(_Integer):
    """A whole number within a PostgreSQL integer (bits=32) or bigint (bits=64)."""

    def __init__(self, *, bits: int = 32, **kwargs):
        low, high = INT_BOUNDS[bits]
        rules = kwargs.pop("validate", None)
        rules = [] if rules is None else list(rules) if isinstance(rules, list | tuple) else [rules]
        if not any(isinstance(rule, validators.Range) for rule in rules):
            rules.append(validators.Range(low, high))
        super().__init__(validate=rules, **kwargs)

    def _validated(self, value):
        # bool is an int in Python, and a float or "1.5" would be truncated silently: refuse them.
        digits = isinstance(value, str) and not self.strict and _DIGITS.fullmatch(value)
        if isinstance(value, bool) or not (isinstance(value, int) or digits):
            raise self.make_error("invalid", input=value)
        return int(value)


def _check_date_range(value):
    if value is not None and not YEARS[0] <= value.year <= YEARS[1]:
        raise ValidationError(f"the year must be between {YEARS[0]} and {YEARS[1]}")
    offset = value.utcoffset() if hasattr(value, "utcoffset") else None
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValidationError("the UTC offset must be within ±15:59")
    return value


class _InRange:
    def _deserialize(self, value, attr, data, **kwargs):
        return _check_date_range(super()._deserialize(value, attr, data, **kwargs))


class DateTime(_InRange, _DateTime):
    pass


class AwareDateTime(_InRange, _AwareDateTime):
    pass


class NaiveDateTime(_InRange, _NaiveDateTime):
    pass


class Date(_InRange, _Date):
    pass


class Decimal(_Decimal):
    """A decimal whose range and default show as numbers in the OpenAPI document (as_string
    would render them as strings, which validators refuse)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if isinstance(self.load_default, str | int | float):
            self.metadata.setdefault("default", float(self.load_default))
        for rule in self.validators:
            if isinstance(rule, validators.Range):
                if rule.min is not None:
                    self.metadata.setdefault("minimum", float(rule.min))
                if rule.max is not None:
                    self.metadata.setdefault("maximum", float(rule.max))
