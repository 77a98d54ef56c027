"""Test data builders. Each returns plain values (ids, headers), never live ORM rows."""

import functools
import hashlib
import itertools

from flask_jwt_extended import create_access_token
from shapely.geometry import box
from sqlalchemy import select

from backend.accounts import api_keys
from backend.accounts.passwords import hash_password
from backend.extensions import db
from backend.models import ApiKey, DispatcherRegion, Organization, Region, Site, User
from backend.places.service import place_sites, set_region_geometry, set_site_location

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


def in_app_context(method):
    """Each call gets its own app context, so no session or `g` leaks into requests."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.app.app_context():
            return method(self, *args, **kwargs)

    return wrapper


class Factory:
    """Call methods outside any app context; each one opens and closes its own."""

    def __init__(self, app):
        self.app = app

    @in_app_context
    def org(self, name=None, parent_id=None, kind="client"):
        org = Organization(name=name or f"org-{next(_seq)}", kind=kind, parent_id=parent_id)
        db.session.add(org)
        db.session.commit()
        return org.id

    @in_app_context
    def user(self, role="client_admin", org_id=None, email=None):
        if org_id is None and role != "technician":
            org_id = self.org(kind="platform" if role in ("platform_admin", "dispatcher") else "client")
        user = User(
            email=email or f"user{next(_seq)}@example.test",
            name="Test User",
            role=role,
            org_id=org_id,
            password_hash=hash_password(PASSWORD),
        )
        db.session.add(user)
        db.session.commit()
        return user.id

    @in_app_context
    def dispatcher(self, region_ids=()):
        """A dispatcher managing these regions (and everything inside them)."""
        user_id = self.user("dispatcher")
        db.session.add_all(DispatcherRegion(user_id=user_id, region_id=r) for r in region_ids)
        db.session.commit()
        return user_id

    @in_app_context
    def token(self, user_id):
        user = db.session.get(User, user_id)
        return create_access_token(str(user.id), additional_claims={"role": user.role, "org_id": user.org_id})

    @in_app_context
    def headers(self, user_id):
        return {"Authorization": f"Bearer {self.token(user_id)}"}

    @in_app_context
    def as_role(self, role="client_admin", org_id=None):
        """Headers of a new user with that role (in a new or the given organization)."""
        return self.headers(self.user(role, org_id))

    @in_app_context
    def api_key(self, org_id, scopes=("regions:read", "sites:read", "sites:write"), mode="test"):
        new = api_keys.generate(mode)
        db.session.add(
            ApiKey(
                org_id=org_id, name="k", mode=mode, key_id=new.key_id, secret_hash=new.secret_hash, scopes=list(scopes)
            )
        )
        db.session.commit()
        return new.plaintext

    @in_app_context
    def region(self, bounds, level="city", parent_id=None, org_id=None, code=None, coefficient="1.000"):
        region = Region(
            code=code or f"R{next(_seq)}",
            name="region",
            level=level,
            parent_id=parent_id,
            org_id=org_id,
            coefficient=coefficient,
        )
        set_region_geometry(region, box(*bounds))
        db.session.add(region)
        db.session.commit()
        return region.id

    @in_app_context
    def site(self, org_id, lon_lat, code=None):
        site = Site(org_id=org_id, code=code or f"S{next(_seq)}", name="site", site_type="tower")
        set_site_location(site, lon_lat)
        db.session.add(site)
        db.session.flush()
        place_sites([site.id], org_id)
        db.session.commit()
        return site.id

    # --- workforce ---------------------------------------------------------------------------

    @in_app_context
    def workforce_catalogue(self):
        """Put back the roles, skills and agreement that migration 0002 seeds (tests truncate them)."""
        from backend.models import AgreementTemplate, Role, Skill

        seeds = _migration_0002()
        if db.session.query(Role).count() == 0:
            db.session.add_all(Role(code=c, name=n, description=d) for c, n, d in seeds.ROLES)
            db.session.add_all(Skill(code=c, name=n, requires_certificate=r) for c, n, r in seeds.SKILLS)
            body = seeds.SERVICE_AGREEMENT
            db.session.add(
                AgreementTemplate(
                    code="service",
                    version=1,
                    title="Technician service agreement",
                    body=body,
                    body_sha256=hashlib.sha256(body.encode()).hexdigest(),
                )
            )
            db.session.commit()

    @in_app_context
    def technician(self, *, status="approved", role="repair", skills=(), region_ids=(), phone=None):
        """A technician whose profile is in `status`, with a role, skill records and active regions.
        `skills` holds (code, level) or (code, level, valid_until[, state]) tuples; state defaults
        to "verified". Returns the technician id."""
        from backend.models import Role, Technician, TechnicianProfile, TechnicianRegion

        self.workforce_catalogue()
        user = User(
            phone=phone or f"139{next(_seq):08d}", name="Tech", role="technician", password_hash=hash_password(PASSWORD)
        )
        technician = Technician(user=user)
        db.session.add(technician)
        db.session.flush()
        role_id = db.session.scalar(select(Role.id).where(Role.code == role)) if role else None
        db.session.add(TechnicianProfile(technician_id=technician.id, status=status, role_id=role_id))
        for region_id in region_ids:
            db.session.add(TechnicianRegion(technician_id=technician.id, region_id=region_id, state="active"))
        for spec in skills:
            self._skill_record(technician.id, *spec)
        db.session.commit()
        return technician.id

    def _skill_record(self, technician_id, code, level, valid_until=None, state="verified"):
        from datetime import date

        from backend.models import Skill, TechnicianSkill

        skill_id = db.session.scalar(select(Skill.id).where(Skill.code == code))
        db.session.add(
            TechnicianSkill(
                technician_id=technician_id,
                skill_id=skill_id,
                level=level,
                valid_from=date(2020, 1, 1),
                valid_until=valid_until,
                state=state,
            )
        )

    @in_app_context
    def technician_headers(self, technician_id):
        from backend.models import Technician

        return self.headers(db.session.get(Technician, technician_id).user_id)


def _migration_0002():
    """The seed data of migration 0002, loaded from the migration file itself (one source)."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "migrations" / "versions" / "0002_workforce.py"
    spec = importlib.util.spec_from_file_location("migration_0002", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
