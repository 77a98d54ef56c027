"""The client API of daily work records: list and read them, confirm or dispute one, and upload
work items done outside orders (a JSON batch or a CSV file, all or nothing, idempotent by
client_ref). Another tenant's record answers 404, like one that does not exist."""

import csv
import io

from marshmallow import ValidationError
from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.accounts.tenancy import get_visible_or_404, require_org_in_reach, scope_to_tenant
from backend.blueprints import SECURITY, api
from backend.errors import Forbidden, ValidationFailed, field_error
from backend.extensions import db
from backend.models import DailyWorkRecord
from backend.money import confirmations, work_items
from backend.money.confirmations import Decision
from backend.money.record_schemas import (
    MAX_ITEMS,
    DisputeIn,
    RecordOut,
    RecordPage,
    RecordQuery,
    WorkItemBatchIn,
    WorkItemBatchOut,
    WorkItemCsvIn,
    WorkItemIn,
)
from backend.pagination import paginate

TAGS = ["work records"]
CSV_FIELDS = ("technician_id", "work_date", "work_type", "quantity", "unit", "client_ref", "note")


def filtered(stmt, query):
    """Narrow a record select by the query's day, technician, organization and state."""
    for column, key in (
        (DailyWorkRecord.work_date, "work_date"),
        (DailyWorkRecord.technician_id, "technician_id"),
        (DailyWorkRecord.org_id, "org_id"),
        (DailyWorkRecord.state, "state"),
    ):
        if query.get(key) is not None:
            stmt = stmt.where(column == query[key])
    return stmt


def page_of(stmt, query) -> dict:
    rows, cursor = paginate(stmt, DailyWorkRecord.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": rows, "next_cursor": cursor}


def _record(record_id) -> DailyWorkRecord:
    return get_visible_or_404(DailyWorkRecord, record_id, what="work record")


def _client() -> Decision:
    actor = current_actor()
    if actor.is_platform:
        raise Forbidden("the client confirms its own records; platform staff resolve disputes in the console")
    return Decision("client", "api", (actor.kind, actor.id))


@api.get("/work-records")
@requires("orders:read")
@api.input(RecordQuery, location="query", arg_name="query")
@api.output(RecordPage)
@api.doc(summary="Daily work records of my organizations", tags=TAGS, security=SECURITY)
def list_records(query):
    """Records of the caller's organization and its sub-accounts, oldest first (newest versions too)."""
    stmt = scope_to_tenant(filtered(select(DailyWorkRecord), query), DailyWorkRecord.org_id)
    return page_of(stmt, query)


@api.get("/work-records/<int:record_id>")
@requires("orders:read")
@api.output(RecordOut)
@api.doc(summary="One daily work record with its lines and confirmations", tags=TAGS, security=SECURITY)
def get_record(record_id):
    """The record, its lines (orders and work items with their price), shares and signed confirmations."""
    return confirmations.view(_record(record_id))


@api.post("/work-records/<int:record_id>/confirm")
@requires("orders:write")
@api.output(RecordOut)
@api.doc(summary="Confirm a daily work record", tags=TAGS, security=SECURITY)
def confirm_record(record_id):
    """The client confirms this version (once); with the technician's confirmation it is finalized."""
    record = _record(record_id)
    outcome = confirmations.confirm(record, _client())
    db.session.commit()
    return confirmations.view(record, outcome)


@api.post("/work-records/<int:record_id>/dispute")
@requires("orders:write")
@api.input(DisputeIn, arg_name="body")
@api.output(RecordOut)
@api.doc(summary="Dispute a daily work record", tags=TAGS, security=SECURITY)
def dispute_record(record_id, body):
    """The client disputes this version with a reason (naming orders of it); a platform admin resolves it."""
    record = _record(record_id)
    confirmations.dispute(record, _client(), body["reason"], body["order_ids"])
    db.session.commit()
    return confirmations.view(record)


@api.post("/work-items")
@requires("orders:write")
@api.input(WorkItemBatchIn, arg_name="body")
@api.output(WorkItemBatchOut, status_code=201)
@api.doc(summary="Upload work items done outside orders (all or nothing)", tags=TAGS, security=SECURITY)
def upload_items(body):
    """Items for technicians and days before the day's 23:59 cut-off; replays by client_ref answer 200."""
    return _store(body["org_id"], body["items"])


@api.post("/work-items/import")
@requires("orders:write")
@api.input(WorkItemCsvIn, location="form_and_files", arg_name="form")
@api.output(WorkItemBatchOut, status_code=201)
@api.doc(
    summary="Upload work items from CSV (all or nothing)",
    description="CSV columns: " + ",".join(CSV_FIELDS) + " (unit and note optional). Errors name items.<row>.<column>.",
    tags=TAGS,
    security=SECURITY,
)
def import_items(form):
    """The same as the JSON batch, from a CSV file; rows count from 0."""
    return _store(form["org_id"], csv_items(form["file"].read()))


def _store(org_id, rows):
    actor = current_actor()
    if actor.is_platform:
        raise Forbidden("clients upload their own work items")
    org_id = org_id or actor.org_id
    require_org_in_reach(org_id)
    upload = work_items.upload(org_id, rows)
    db.session.commit()
    body = {"created": upload.created, "replayed": upload.replayed, "items": upload.items}
    return body, 201 if upload.created else 200


def csv_items(data: bytes) -> list[dict]:
    """CSV rows loaded as WorkItemIn bodies; every bad cell named, nothing kept on any error."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationFailed(
            "the file is not UTF-8 text", errors=[field_error("file", "must be UTF-8 CSV", "files")]
        ) from None
    raw = [
        {k: (row.get(k) or "").strip() for k in CSV_FIELDS if (row.get(k) or "").strip()}
        for row in csv.DictReader(io.StringIO(text))
    ]
    if not raw or len(raw) > MAX_ITEMS:
        raise ValidationFailed(
            f"a CSV holds 1 to {MAX_ITEMS} items", errors=[field_error("file", "wrong row count", "files")]
        )
    loaded, errors, schema = [], [], WorkItemIn()
    for i, row in enumerate(raw):
        try:
            loaded.append(schema.load(row))
        except ValidationError as exc:
            errors += [
                field_error(f"items.{i}.{name}", message, "files")
                for name, messages in exc.messages.items()
                for message in messages
            ]
    if errors:
        raise ValidationFailed("some rows are invalid; none was stored", errors=errors)
    return loaded
