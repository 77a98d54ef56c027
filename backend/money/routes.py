"""The client money API: funds (balance, reserved, available, credit), transactions,
allocations to sub-accounts, and the monthly statement."""

from flask import Response
from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.accounts.tenancy import org_subtree_ids, require_org_in_reach
from backend.blueprints import SECURITY, api
from backend.errors import Forbidden
from backend.extensions import db
from backend.models import Organization
from backend.money import settlement, views
from backend.money.schemas import AllocationIn, AllocationOut, FundsOut, TransactionQuery, TransferPage

TAGS = ["money"]


def caller_orgs() -> list[Organization]:
    """The caller's organization and its sub-accounts, the caller's first."""
    actor = current_actor()
    if actor.is_platform or actor.org_id is None:
        raise Forbidden("client funds are read by clients; platform staff use the console")
    ids = org_subtree_ids(actor.org_id)
    orgs = {o.id: o for o in db.session.scalars(select(Organization).where(Organization.id.in_(ids)))}
    return [orgs[i] for i in ids if orgs[i].kind == "client"]


@api.get("/funds")
@requires("orgs:read")
@api.output(FundsOut)
@api.doc(summary="Funds of my organization and its sub-accounts", tags=TAGS, security=SECURITY)
def get_funds():
    """Balance (posted), reserved (held for published orders), available (balance - reserved +
    unused credit) and the credit limit, for each organization, in fen."""
    return views.funds_overview(caller_orgs())


@api.get("/funds/transactions")
@requires("orgs:read")
@api.input(TransactionQuery, location="query", arg_name="query")
@api.output(TransferPage)
@api.doc(summary="Movements of my funds", tags=TAGS, security=SECURITY)
def list_fund_transactions(query):
    """Every transfer in or out of the funds of my organizations (or one of them, `org_id`),
    oldest first; pass `next_cursor` back as `cursor`."""
    orgs = [o.id for o in caller_orgs()]
    if query["org_id"] is not None:
        require_org_in_reach(query["org_id"])
        orgs = [query["org_id"]]
    accounts = views.client_account_ids(orgs)
    return views.transfers_page(accounts, cursor=query["cursor"], limit=query["limit"], code=query["code"])


@api.post("/funds/allocations")
@requires("orgs:manage")
@api.input(AllocationIn, arg_name="body")
@api.output(AllocationOut, status_code=201)
@api.doc(summary="Move funds to a sub-account", tags=TAGS, security=SECURITY)
def allocate_funds(body):
    """A parent moves available funds to one of its sub-accounts. `reference` is the
    idempotency key: the same reference again answers the first allocation (200)."""
    orgs = caller_orgs()
    source = body["from_org_id"] or orgs[0].id
    require_org_in_reach(source, field="from_org_id")
    require_org_in_reach(body["to_org_id"], field="to_org_id")
    transfer, created = settlement.allocate(source, body["to_org_id"], body["amount_fen"], body["reference"])
    db.session.commit()
    out = {
        "created": created,
        "from_org_id": source,
        "to_org_id": body["to_org_id"],
        "amount_fen": transfer.amount,
        "transfer": views.transfer_out(transfer),
    }
    return out, 201 if created else 200


@api.get("/statements/<month>.csv")
@requires("orgs:read")
@api.doc(
    summary="Monthly statement (CSV)",
    tags=TAGS,
    security=SECURITY,
    responses={200: {"description": "text/csv", "content": {"text/csv": {}}}},
)
def monthly_statement(month):
    """Posted movements of the funds of my organization and each sub-account in the month
    (YYYY-MM, in my organization's time zone): opening balance, each movement with the running
    balance, closing balance. Columns: organization_id, organization, local_time, transfer_id,
    code, reference, debit_fen, credit_fen, balance_fen."""
    orgs = caller_orgs()
    body = views.statement_csv(orgs, month, orgs[0].timezone)
    headers = {"Content-Disposition": f'attachment; filename="statement_{orgs[0].id}_{month}.csv"'}
    return Response(body, mimetype="text/csv", headers=headers)
