"""Who is calling: the one Actor that routes resolve and pass to services (no Flask here)."""

from dataclasses import dataclass

from backend.models.accounts import PLATFORM_ROLES


@dataclass(frozen=True)
class Actor:
    kind: str  # "user" or "api_key"
    id: int
    org_id: int | None
    role: str  # the user's role; "client_api" for a key
    scopes: frozenset

    @property
    def is_platform(self) -> bool:
        return self.role in PLATFORM_ROLES

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None
