"""Tenant scoping. A client sees its own organization and every sub-account below it;
platform staff see all. Another tenant's id answers 404, like an id that does not exist."""

from flask import g
from sqlalchemy import literal, select

from backend.accounts.auth import current_actor
from backend.errors import NotFound, field_error
from backend.extensions import db
from backend.models import Organization


def org_subtree_ids(org_id: int) -> list[int]:
    """The organization and all its descendants (recursive CTE)."""
    tree = select(Organization.id).where(Organization.id == org_id).cte("tree", recursive=True)
    tree = tree.union_all(select(Organization.id).where(Organization.parent_id == tree.c.id))
    return list(db.session.scalars(select(tree.c.id)))


def org_ancestor_ids(org_id: int) -> list[int]:
    """The organization and all its ancestors, nearest first."""
    chain = (
        select(Organization.id, Organization.parent_id, literal(0).label("depth"))
        .where(Organization.id == org_id)
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(Organization.id, Organization.parent_id, chain.c.depth + 1).where(Organization.id == chain.c.parent_id)
    )
    return list(db.session.scalars(select(chain.c.id).order_by(chain.c.depth)))


def visible_org_ids() -> list[int] | None:
    """Organizations the caller may see; None means every one (platform staff)."""
    if "visible_orgs" not in g:
        actor = current_actor()
        g.visible_orgs = None if actor.is_platform else org_subtree_ids(actor.org_id)
    return g.visible_orgs


def scope_to_tenant(query, org_column, *, include_shared=False):
    """Limit a select to the caller's organizations (and platform-wide rows if asked)."""
    orgs = visible_org_ids()
    if orgs is None:
        return query
    condition = org_column.in_(orgs)
    if include_shared:
        condition = condition | org_column.is_(None)
    return query.where(condition)


def get_visible_or_404(model, object_id, *, org_column=None, include_shared=False, what=None):
    """Load one row the caller may see, or answer 404."""
    column = org_column if org_column is not None else model.org_id
    query = scope_to_tenant(select(model).where(model.id == object_id), column, include_shared=include_shared)
    row = db.session.scalar(query)
    if row is None:
        raise NotFound(what or model.__name__.lower())
    return row


def require_org_in_reach(org_id: int, field="org_id"):
    """An org id named in a request body must be one the caller may act for."""
    orgs = visible_org_ids()
    out_of_reach = org_id not in orgs if orgs is not None else db.session.get(Organization, org_id) is None
    if out_of_reach:
        raise NotFound("organization", errors=[field_error(field, "no such organization")])
