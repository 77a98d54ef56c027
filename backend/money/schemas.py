"""Request and response shapes of the money API. Amounts are strict integers of fen: a float,
a fraction or a string is refused naming the field."""

from apiflask import Schema, fields, validators

from backend.shared_schemas import Page, PageQuery

MAX_FEN = 10**15


def fen(required=True, minimum=1):
    return fields.Integer(
        required=required,
        strict=True,
        validate=validators.Range(minimum, MAX_FEN),
        metadata={"description": "integer fen (0.01 yuan)"},
    )


class FundingIn(Schema):
    org_id = fields.Integer(required=True, strict=True, validate=validators.Range(1))
    amount_fen = fen()
    bank_reference = fields.String(
        required=True,
        validate=validators.Length(1, 100),
        metadata={"description": "the bank's reference of the received transfer: the idempotency key"},
    )
    note = fields.String(load_default=None, validate=validators.Length(max=500))


class TransferOut(Schema):
    seq = fields.Integer()
    id = fields.String()
    code = fields.String()
    amount_fen = fields.Integer()
    debit_account_id = fields.Integer()
    credit_account_id = fields.Integer()
    status = fields.String(metadata={"description": "posted, pending or voided"})
    pending_id = fields.String(allow_none=True)
    reference = fields.String(allow_none=True)
    journal_id = fields.String()
    created_at = fields.String()
    direction = fields.String(metadata={"description": "in or out of the reader's funds"})


class FundingOut(Schema):
    created = fields.Boolean(metadata={"description": "false when the bank reference was recorded before"})
    org_id = fields.Integer()
    amount_fen = fields.Integer()
    bank_reference = fields.String()
    repaid_credit_fen = fields.Integer()
    transfer = fields.Nested(TransferOut)


class AllocationIn(Schema):
    from_org_id = fields.Integer(
        load_default=None, strict=True, metadata={"description": "the parent (default: the caller's organization)"}
    )
    to_org_id = fields.Integer(required=True, strict=True)
    amount_fen = fen()
    reference = fields.String(
        required=True, validate=validators.Length(1, 100), metadata={"description": "idempotency key per parent"}
    )


class AllocationOut(Schema):
    created = fields.Boolean()
    from_org_id = fields.Integer()
    to_org_id = fields.Integer()
    amount_fen = fields.Integer()
    transfer = fields.Nested(TransferOut)


class CreditLimitIn(Schema):
    limit_fen = fen(minimum=0)
    note = fields.String(load_default=None, validate=validators.Length(max=500))


class OrgFunds(Schema):
    org_id = fields.Integer()
    name = fields.String()
    parent_id = fields.Integer(allow_none=True)
    balance_fen = fields.Integer(metadata={"description": "posted funds"})
    reserved_fen = fields.Integer(metadata={"description": "held for published orders"})
    available_fen = fields.Integer(metadata={"description": "balance - reserved + unused credit"})
    credit_limit_fen = fields.Integer()
    credit_used_fen = fields.Integer()
    account_id = fields.Integer(allow_none=True)


class FundsTotals(Schema):
    balance_fen = fields.Integer()
    reserved_fen = fields.Integer()
    available_fen = fields.Integer()


class FundsOut(Schema):
    items = fields.List(fields.Nested(OrgFunds))
    totals = fields.Nested(FundsTotals)


class TransactionQuery(PageQuery):
    org_id = fields.Integer(load_default=None, strict=False)
    code = fields.String(load_default=None, validate=validators.Length(1, 32))


class JournalQuery(PageQuery):
    account_id = fields.Integer(load_default=None)
    code = fields.String(load_default=None, validate=validators.Length(1, 32))
    reference = fields.String(load_default=None, validate=validators.Length(1, 200))


class TransferPage(Page):
    items = fields.List(fields.Nested(TransferOut))


class AccountOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    owner_type = fields.String()
    owner_id = fields.Integer()
    currency = fields.String()
    debits_posted = fields.Integer()
    debits_pending = fields.Integer()
    credits_posted = fields.Integer()
    credits_pending = fields.Integer()
    balance_fen = fields.Integer()
    pending_fen = fields.Integer()
    available_fen = fields.Integer()
    flags = fields.Dict()
    transfers = fields.List(fields.Nested(TransferOut))


class MonthQuery(Schema):
    month = fields.String(
        required=True, validate=validators.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"), metadata={"description": "YYYY-MM"}
    )


class EarningsTotals(Schema):
    pay_fen = fields.Integer()
    shares_received_fen = fields.Integer()
    gross_fen = fields.Integer()
    tax_withheld_fen = fields.Integer()
    net_fen = fields.Integer()


class EarningsRecord(Schema):
    record_id = fields.Integer()
    version = fields.Integer()
    org_id = fields.Integer()
    source = fields.String(metadata={"description": "pay (own work) or share (a team member's work)"})
    member_technician_id = fields.Integer(allow_none=True)
    income_fen = fields.Integer()
    tax_withheld_fen = fields.Integer()
    net_fen = fields.Integer()
    tax = fields.Dict(metadata={"description": "the cumulative figures behind the tax withheld"})
    lines = fields.List(fields.Dict())
    shares = fields.List(fields.Dict())


class EarningsDay(EarningsTotals):
    date = fields.String()
    records = fields.List(fields.Nested(EarningsRecord))


class EarningsOut(Schema):
    month = fields.String()
    technician_id = fields.Integer()
    totals = fields.Nested(EarningsTotals)
    days = fields.List(fields.Nested(EarningsDay))


class DeclarationList(Schema):
    month = fields.String()
    files = fields.List(fields.Dict(), metadata={"description": "[{technician_id, file_name, url}]"})
