"""Test data builders. Each returns plain values (ids, headers), never live ORM rows."""

import itertools

from flask_jwt_extended import create_access_token
from shapely.geometry import box

from backend.auth import api_keys
from backend.auth.passwords import hash_password
from backend.extensions import db
from backend.models import ApiKey, Organization, Region, Site, User
from backend.services.places import place_sites, set_region_geometry, set_site_location

PASSWORD = "correct-horse-battery"
_seq = itertools.count(1)


class Factory:
    def __init__(self, app):
        self.app = app

    def org(self, name=None, parent_id=None, kind="client"):
        org = Organization(name=name or f"org-{next(_seq)}", kind=kind, parent_id=parent_id)
        db.session.add(org)
        db.session.commit()
        return org.id

    def user(self, role="client_admin", org_id=None, email=None):
        if org_id is None and role != "technician":
            org_id = self.org(kind="platform" if role in ("platform_admin", "dispatcher") else "client")
        user = User(
            email=email or f"user{next(_seq)}@example.test", name="Test User", role=role, org_id=org_id,
            password_hash=hash_password(PASSWORD),
        )
        db.session.add(user)
        db.session.commit()
        return user.id

    def token(self, user_id):
        user = db.session.get(User, user_id)
        return create_access_token(str(user.id), additional_claims={"role": user.role, "org_id": user.org_id})

    def headers(self, user_id):
        return {"Authorization": f"Bearer {self.token(user_id)}"}

    def as_role(self, role="client_admin", org_id=None):
        """Headers of a new user with that role (in a new or the given organization)."""
        return self.headers(self.user(role, org_id))

    def api_key(self, org_id, scopes=("regions:read", "sites:read", "sites:write"), mode="test"):
        new = api_keys.generate(mode)
        db.session.add(ApiKey(org_id=org_id, name="k", mode=mode, key_id=new.key_id, secret_hash=new.secret_hash, scopes=list(scopes)))
        db.session.commit()
        return new.plaintext

    def region(self, bounds, level="city", parent_id=None, org_id=None, code=None, coefficient="1.000"):
        region = Region(
            code=code or f"R{next(_seq)}", name="region", level=level, parent_id=parent_id, org_id=org_id,
            coefficient=coefficient,
        )
        set_region_geometry(region, box(*bounds))
        db.session.add(region)
        db.session.commit()
        return region.id

    def site(self, org_id, lon_lat, code=None):
        site = Site(org_id=org_id, code=code or f"S{next(_seq)}", name="site", site_type="tower")
        set_site_location(site, lon_lat)
        db.session.add(site)
        db.session.flush()
        place_sites([site.id], org_id)
        db.session.commit()
        return site.id
