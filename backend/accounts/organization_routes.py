"""Client organizations and their sub-accounts."""

from sqlalchemy import select

from backend.accounts.auth import current_actor, requires
from backend.accounts.schemas import OrganizationIn, OrganizationOut, OrganizationPage
from backend.accounts.tenancy import get_visible_or_404, require_org_in_reach, scope_to_tenant
from backend.blueprints import SECURITY, api
from backend.errors import fail, field_error
from backend.extensions import db
from backend.models import Organization
from backend.pagination import paginate
from backend.shared_schemas import PageQuery


@api.post("/organizations")
@requires("orgs:manage")
@api.input(OrganizationIn, arg_name="body")
@api.output(OrganizationOut, status_code=201)
@api.doc(summary="Create a client organization or a sub-account", tags=["organizations"], security=SECURITY)
def create_organization(body):
    """Create a client organization (staff) or a sub-account under one's own (client admin)."""
    parent_id = body["parent_id"]
    if parent_id is None and not current_actor().is_platform:
        parent_id = current_actor().org_id  # a client's new organization is its sub-account
    if parent_id is not None:
        require_org_in_reach(parent_id, "parent_id")
        if db.session.get(Organization, parent_id).kind != "client":
            fail(
                422,
                "sub-accounts belong to client organizations",
                errors=[field_error("parent_id", "not a client organization")],
            )
    org = Organization(kind="client", name=body["name"], parent_id=parent_id, timezone=body["timezone"])
    db.session.add(org)
    db.session.commit()
    return org


@api.get("/organizations")
@requires("orgs:read")
@api.input(PageQuery, location="query", arg_name="query")
@api.output(OrganizationPage)
@api.doc(summary="Organizations the caller can see", tags=["organizations"], security=SECURITY)
def list_organizations(query):
    """Organizations the caller can see: its own and its sub-accounts."""
    stmt = scope_to_tenant(select(Organization), Organization.id)
    items, cursor = paginate(stmt, Organization.id, limit=query["limit"], cursor=query["cursor"])
    return {"items": items, "next_cursor": cursor}


@api.get("/organizations/<int:org_id>")
@requires("orgs:read")
@api.output(OrganizationOut)
@api.doc(summary="One organization", tags=["organizations"], security=SECURITY)
def get_organization(org_id):
    """One organization."""
    return get_visible_or_404(Organization, org_id, org_column=Organization.id, what="organization")
