"""Which technicians and regions a console user may act on: a dispatcher, the technicians
active in the regions they manage (and every region inside those, places.tree); a platform
admin, all. Tracking's live map and replay and the dispatcher writes of workforce ask here."""

from sqlalchemy import select

from backend.accounts.actor import Actor
from backend.errors import NotFound
from backend.extensions import db
from backend.models import Technician, TechnicianRegion
from backend.places.tree import managed_region_ids


def sees_everything(actor: Actor) -> bool:
    return actor.role == "platform_admin"


def region_reach(actor: Actor) -> set[int] | None:
    """Regions the actor manages; None means all (platform admin)."""
    return None if sees_everything(actor) else managed_region_ids(actor.user_id)


def managed_technician_ids(actor: Actor) -> set[int] | None:
    """Technicians the actor may watch and manage; None means all (platform admin)."""
    regions = region_reach(actor)
    if regions is None:
        return None
    if not regions:
        return set()
    rows = db.session.scalars(
        select(TechnicianRegion.technician_id).where(
            TechnicianRegion.region_id.in_(regions), TechnicianRegion.state == "active"
        )
    )
    return set(rows)


def manages(actor: Actor, technician_id: int) -> bool:
    """The technician exists and is within the actor's reach."""
    managed = managed_technician_ids(actor)
    exists = db.session.get(Technician, technician_id) is not None
    return exists and (managed is None or technician_id in managed)


def managed_technician_or_404(actor: Actor, technician_id: int) -> Technician:
    """The technician, when the actor may manage them; another region's answers like a missing one."""
    if not manages(actor, technician_id):
        raise NotFound("technician")
    return db.session.get(Technician, technician_id)
