"""ORM models; the schema itself comes only from the Alembic migrations."""

from backend.models.accounts import ApiKey, Organization, Technician, User
from backend.models.places import Region, Site

__all__ = ["ApiKey", "Organization", "Region", "Site", "Technician", "User"]
