"""The demo city: Chengdu inside the Third Ring Road, its five central districts as
sectors, ~2 km grids, a client (a provincial tower company) with two city sub-accounts,
a few hundred sites, and the demo accounts listed in README.md.

Idempotent: every row is found by its natural key before it is created.
"""

import math
import random

import click
from shapely.geometry import Point, Polygon, box
from sqlalchemy import func, select

from backend.accounts.passwords import hash_password
from backend.extensions import db
from backend.models import Organization, Region, Site, User
from backend.places.service import place_sites, set_region_geometry, set_site_location
from geo.distance import destination_point

CENTER = (104.0657, 30.6570)  # Tianfu Square
CITY_RADII_M = (8000, 8600)  # east-west, north-south: roughly the Third Ring Road
DISTRICTS = (  # code, name, compass sector (degrees), region coefficient
    ("CHENGHUA", "成华区 Chenghua", (10, 100), "1.050"),
    ("JINJIANG", "锦江区 Jinjiang", (100, 180), "1.100"),
    ("WUHOU", "武侯区 Wuhou", (180, 250), "1.100"),
    ("QINGYANG", "青羊区 Qingyang", (250, 310), "1.000"),
    ("JINNIU", "金牛区 Jinniu", (310, 370), "1.000"),
)
GRID_DEG = 0.02  # about 2 km
DEMO_PASSWORD = "gridwork-demo"
DEMO_CLIENT_EMAIL = "urban@sc-tower.demo"  # the client whose orders `flask simulate` posts
DEMO_USERS = (  # email, name, role, org key
    ("admin@gridwork.demo", "Platform Admin", "platform_admin", "platform"),
    ("dispatcher@gridwork.demo", "Li Dispatcher", "dispatcher", "platform"),
    ("ops@sc-tower.demo", "Sichuan Tower Ops", "client_admin", "client"),
    ("urban@sc-tower.demo", "Chengdu Urban Project", "client_admin", "urban"),
    ("suburban@sc-tower.demo", "Chengdu Suburban Project", "client_user", "suburban"),
)
SITE_TYPES = ("tower", "tower", "rooftop", "indoor", "machine_room", "cabinet")


def seed(site_count=300, rng_seed=7):
    orgs = ensure_organizations()
    for email, name, role, org_key in DEMO_USERS:
        ensure_user(email, name, DEMO_PASSWORD, role, orgs[org_key].id)
    city = ensure_regions()
    ensure_sites(city, orgs, site_count, random.Random(rng_seed))
    db.session.commit()
    click.echo(f"demo city ready: {_count(Region)} regions, {_count(Site)} sites, {_count(User)} users")


def ensure_organizations():
    platform = _get_or_add(Organization, name="Gridwork Platform", kind="platform")
    client = _get_or_add(Organization, name="中国铁塔 Sichuan Branch", kind="client")
    urban = _get_or_add(Organization, name="Chengdu Urban Project", kind="client", parent_id=client.id)
    suburban = _get_or_add(Organization, name="Chengdu Suburban Project", kind="client", parent_id=client.id)
    return {"platform": platform, "client": client, "urban": urban, "suburban": suburban}


def ensure_platform_user(email, name, password, role):
    platform = _get_or_add(Organization, name="Gridwork Platform", kind="platform")
    user = ensure_user(email, name, password, role, platform.id)
    db.session.commit()
    return user


def ensure_user(email, name, password, role, org_id):
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(email=email, name=name, role=role, org_id=org_id, password_hash=hash_password(password))
        db.session.add(user)
        db.session.flush()
    return user


def ensure_regions():
    city_shape = city_polygon()
    city = _ensure_region("CD", "成都市 Chengdu", "city", None, "1.000", city_shape)
    districts = [(d, district_polygon(city_shape, d[2])) for d in DISTRICTS]
    with click.progressbar(districts, label="regions") as bar:
        for (code, name, _sector, coefficient), shape in bar:
            district = _ensure_region(f"CD-{code}", name, "district", city.id, coefficient, shape)
            for index, cell in enumerate(grid_cells(shape), start=1):
                _ensure_region(
                    f"CD-{code}-G{index:02d}", f"{name} grid {index}", "grid", district.id, coefficient, cell
                )
    return city


def city_polygon(vertices=36):
    ring = []
    for i in range(vertices):
        angle = 2 * math.pi * i / vertices
        east, north = CITY_RADII_M[0] * math.sin(angle), CITY_RADII_M[1] * math.cos(angle)
        bearing = math.degrees(math.atan2(east, north))
        ring.append(destination_point(*CENTER, bearing, math.hypot(east, north)))
    return Polygon(ring)


def district_polygon(city_shape, sector, step=5):
    start, end = sector
    arc = [destination_point(*CENTER, b, 20_000) for b in range(start, end + 1, step)]
    return Polygon([CENTER, *arc]).intersection(city_shape)


def grid_cells(district_shape):
    min_lon, min_lat, max_lon, max_lat = district_shape.bounds
    cells = []
    lon = math.floor(min_lon / GRID_DEG) * GRID_DEG
    while lon < max_lon:
        lat = math.floor(min_lat / GRID_DEG) * GRID_DEG
        while lat < max_lat:
            cell = district_shape.intersection(box(lon, lat, lon + GRID_DEG, lat + GRID_DEG))
            if cell.geom_type == "Polygon" and cell.area > GRID_DEG**2 * 0.05:  # skip slivers
                cells.append(cell)
            lat += GRID_DEG
        lon += GRID_DEG
    return cells


def ensure_sites(city, orgs, count, rng):
    existing = _count(Site)
    if existing >= count:
        return
    city_shape = city_polygon()
    by_org = {orgs["urban"].id: [], orgs["suburban"].id: []}
    with click.progressbar(range(existing, count), label="sites") as bar:
        for index in bar:
            org_id = orgs["urban"].id if index % 3 else orgs["suburban"].id
            site = Site(
                org_id=org_id,
                code=f"CD-{index + 1:04d}",
                name=f"成都站点 {index + 1:04d}",
                site_type=SITE_TYPES[index % len(SITE_TYPES)],
            )
            set_site_location(site, _random_point_in(city_shape, rng))
            db.session.add(site)
            db.session.flush()
            by_org[org_id].append(site.id)
    for org_id, ids in by_org.items():
        if ids:
            place_sites(ids, org_id)


def _random_point_in(shape, rng):
    min_lon, min_lat, max_lon, max_lat = shape.bounds
    while True:
        lon, lat = rng.uniform(min_lon, max_lon), rng.uniform(min_lat, max_lat)
        if shape.contains(Point(lon, lat)):
            return round(lon, 6), round(lat, 6)


def _ensure_region(code, name, level, parent_id, coefficient, shape):
    region = db.session.scalar(select(Region).where(Region.code == code))
    if region is None:
        region = Region(code=code, name=name, level=level, parent_id=parent_id, coefficient=coefficient)
        set_region_geometry(region, shape)
        db.session.add(region)
        db.session.flush()
    return region


def _get_or_add(model, **natural_key):
    row = db.session.scalar(select(model).filter_by(**natural_key))
    if row is None:
        row = model(**natural_key)
        db.session.add(row)
        db.session.flush()
    return row


def _count(model):
    return db.session.scalar(select(func.count()).select_from(model))
