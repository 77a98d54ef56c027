"""The console's money routes (platform admins): record a received bank transfer, set credit
limits, read any account and the journal, and the tax files."""

from flask import Response, url_for

from backend.accounts.auth import current_actor, requires
from backend.blueprints import SECURITY, console
from backend.errors import NotFound, field_error
from backend.extensions import db
from backend.money import ledger, settlement, tax_exports, views
from backend.money.schemas import (
    AccountOut,
    CreditLimitIn,
    DeclarationList,
    FundingIn,
    FundingOut,
    JournalQuery,
    OrgFunds,
    TransferPage,
)

TAGS = ["money console"]
SCOPE = "platform:manage"


def _csv(body: str, file_name: str) -> Response:
    return Response(body, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


@console.post("/funding")
@requires(SCOPE)
@console.input(FundingIn, arg_name="body")
@console.output(FundingOut, status_code=201)
@console.doc(summary="Record a received bank transfer", tags=TAGS, security=SECURITY)
def record_funding(body):
    """Credit a client's funds with a bank transfer received in the custody account. The bank
    reference is the idempotency key: the same reference and amount again answer the first
    funding (200); the same reference with another amount or client is a 409 naming it."""
    funding = settlement.record_funding(body["org_id"], body["amount_fen"], body["bank_reference"], body["note"])
    db.session.commit()
    out = {
        "created": funding.created,
        "org_id": body["org_id"],
        "amount_fen": funding.transfer.amount,
        "bank_reference": body["bank_reference"],
        "repaid_credit_fen": funding.repaid_fen,
        "transfer": views.transfer_out(funding.transfer),
    }
    return out, 201 if funding.created else 200


@console.put("/organizations/<int:org_id>/credit-limit")
@requires(SCOPE)
@console.input(CreditLimitIn, arg_name="body")
@console.output(OrgFunds)
@console.doc(summary="Set a client's credit limit", tags=TAGS, security=SECURITY)
def put_credit_limit(org_id, body):
    """Grant, raise or lower the credit a client may use beyond its funds (not below what is in use)."""
    settlement.set_credit_limit(org_id, body["limit_fen"], current_actor().user_id, body["note"])
    db.session.commit()
    return views.org_balance(settlement.client_org(org_id))


@console.get("/organizations/<int:org_id>/funds")
@requires(SCOPE)
@console.output(OrgFunds)
@console.doc(summary="A client's funds", tags=TAGS, security=SECURITY)
def get_org_funds(org_id):
    return views.org_balance(settlement.client_org(org_id))


@console.get("/accounts/<int:account_id>")
@requires(SCOPE)
@console.output(AccountOut)
@console.doc(summary="Any ledger account with its latest transfers", tags=TAGS, security=SECURITY)
def get_account(account_id):
    account = ledger.get_account(db.session, account_id)
    if account is None:
        raise NotFound("account", errors=[field_error("account_id", "no such account", "path")])
    latest = ledger.account_transfers(db.session, account_id, limit=100)
    return {**views.account_out(account), "transfers": [views.transfer_out(t, {account_id}) for t in latest]}


@console.get("/journal")
@requires(SCOPE)
@console.input(JournalQuery, location="query", arg_name="query")
@console.output(TransferPage)
@console.doc(summary="The journal: every transfer, oldest first", tags=TAGS, security=SECURITY)
def get_journal(query):
    accounts = {query["account_id"]} if query["account_id"] else None
    return views.transfers_page(
        accounts, cursor=query["cursor"], limit=query["limit"], code=query["code"], reference=query["reference"]
    )


@console.get("/tax/withholding/<month>")
@requires(SCOPE)
@console.output(DeclarationList)
@console.doc(summary="Monthly withholding declarations: one file per technician paid", tags=TAGS, security=SECURITY)
def list_declarations(month):
    files = [
        {
            "technician_id": technician_id,
            "file_name": tax_exports.declaration_file_name(technician_id, month),
            "url": url_for(".get_declaration", month=month, technician_id=technician_id),
        }
        for technician_id in tax_exports.technicians_paid(month)
    ]
    return {"month": month, "files": files}


@console.get("/tax/withholding/<month>/technicians/<int:technician_id>")
@requires(SCOPE)
@console.doc(summary="One technician's withholding declaration (CSV)", tags=TAGS, security=SECURITY)
def get_declaration(month, technician_id):
    """Name, full ID number, the month's income, expenses, deductions and tax withheld, and the
    cumulative figures of the tax year (columns in README "Money"). The file name masks the ID."""
    body = tax_exports.withholding_declaration(technician_id, month)
    return _csv(body, tax_exports.declaration_file_name(technician_id, month))


@console.get("/tax/identity-income/<period>")
@requires(SCOPE)
@console.doc(summary="Quarterly identity and income report (国务院令第810号), CSV", tags=TAGS, security=SECURITY)
def get_quarterly_report(period):
    """`period` is YYYY-Qn (e.g. 2026-Q4); columns in README "Money flows"."""
    year, quarter = tax_exports.quarter_of(period)
    return _csv(tax_exports.quarterly_report(year, quarter), f"identity_income_{year}-Q{quarter}.csv")
