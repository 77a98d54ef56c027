"""Domain errors of the money package. Each carries a machine code (TigerBeetle's result names for
transfers), the HTTP status it maps to, and the field it is about, so that backend/errors.py can
turn it into an RFC 9457 problem without knowing the ledger."""

PROBLEM_BASE = "https://gridwork.dev/problems/"


class MoneyError(Exception):
    """Base of every money error."""

    status = 422
    kind = "money-error"

    def __init__(self, code: str, detail: str, *, field: str | None = None, **context):
        super().__init__(detail)
        self.code, self.detail, self.field, self.context = code, detail, field, context

    def problem(self) -> dict:
        """The RFC 9457 body (type, status, detail, code, the field named in errors, context)."""
        body = {"type": PROBLEM_BASE + self.kind, "status": self.status, "detail": self.detail, "code": self.code}
        if self.field:
            body["errors"] = [{"location": "json", "field": self.field, "message": self.detail}]
        return body | self.context

    def __repr__(self):
        return f"{type(self).__name__}({self.code!r}, {self.detail!r})"


class TransferInvalid(MoneyError):
    """The transfer is malformed or names something that does not exist (422)."""

    kind = "transfer-invalid"


class InsufficientFunds(MoneyError):
    """A flagged account would go below zero: exceeds_credits / exceeds_debits (422)."""

    kind = "insufficient-funds"


class IdempotencyConflict(MoneyError):
    """The id was used before with other fields: exists_with_different_* (409)."""

    status = 409
    kind = "idempotency-conflict"


class PendingTransferClosed(MoneyError):
    """The pending transfer was already posted, voided or expired, or has timed out (409)."""

    status = 409
    kind = "pending-transfer-closed"


class LinkedEventFailed(MoneyError):
    """Another transfer of the linked chain failed, so this one was not created either (422)."""

    kind = "linked-event-failed"


class AccountInvalid(MoneyError):
    """An account cannot be opened as asked (422)."""

    kind = "account-invalid"
