"""Organizations (tenants), people, client API keys, technicians."""

from datetime import datetime

from sqlalchemy import ARRAY, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backend.extensions import db
from backend.models.base import Timestamped

PLATFORM_ROLES = ("platform_admin", "dispatcher")
CLIENT_ROLES = ("client_admin", "client_user")
USER_ROLES = PLATFORM_ROLES + CLIENT_ROLES + ("technician",)
ORG_KINDS = ("platform", "client")


class Organization(Timestamped, db.Model):
    """A tenant. Client organizations nest: a provincial branch with its city projects."""

    __tablename__ = "organizations"
    __table_args__ = (CheckConstraint(f"kind IN {ORG_KINDS}", name="ck_organizations_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")

    parent: Mapped["Organization | None"] = relationship(remote_side=[id])


class User(Timestamped, db.Model):
    """A person who signs in: platform staff, client users, technicians."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(f"role IN {USER_ROLES}", name="ck_users_role"),
        CheckConstraint("role = 'technician' OR org_id IS NOT NULL", name="ck_users_org_required"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)

    organization: Mapped[Organization | None] = relationship()


class ApiKey(Timestamped, db.Model):
    """A client machine's credential. Only a hash of the secret is stored."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("mode IN ('test', 'live')", name="ck_api_keys_mode"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    mode: Mapped[str] = mapped_column(String(8))
    key_id: Mapped[str] = mapped_column(String(24), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Technician(Timestamped, db.Model):
    """A field technician's record; the workforce capability fills in the rest."""

    __tablename__ = "technicians"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)

    user: Mapped[User] = relationship()
