"""The region tree (city → district → grid): ancestors, descendants, and the regions a
dispatcher manages. One owner: every domain asks here."""

from sqlalchemy import select

from backend.extensions import db
from backend.models import DispatcherRegion, Region


def region_ancestor_ids(region_id: int, *, nested=False):
    """A select of the region's id and all its ancestors' (recursive CTE; `nested` keeps the
    WITH inside the subquery, for a statement that walks the tree more than once)."""
    chain = (
        select(Region.id, Region.parent_id)
        .where(Region.id == region_id)
        .cte("region_up", recursive=True, nesting=nested)
    )
    chain = chain.union_all(select(Region.id, Region.parent_id).where(Region.id == chain.c.parent_id))
    return select(chain.c.id)


def region_descendant_ids(region_id: int, *, nested=False):
    """A select of the region's id and all its descendants' (recursive CTE; `nested` as above)."""
    tree = select(Region.id).where(Region.id == region_id).cte("region_down", recursive=True, nesting=nested)
    tree = tree.union_all(select(Region.id).where(Region.parent_id == tree.c.id))
    return select(tree.c.id)


def managed_region_ids(user_id: int) -> set[int]:
    """The regions assigned to a dispatcher and every region inside them."""
    assigned = db.session.scalars(select(DispatcherRegion.region_id).where(DispatcherRegion.user_id == user_id))
    managed: set[int] = set()
    for region_id in assigned:
        managed.update(db.session.scalars(region_descendant_ids(region_id)))
    return managed
