"""Agreement signing with the platform's Ed25519 seal; uploads; catalogues; skill profile."""

import base64
import io

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import text

from backend import esign, storage
from backend.extensions import db
from backend.workforce.schemas import SigningRecord
from tests.integration.workforce.conftest import id_number

MOBILE = "/api/mobile/v1"
CONSOLE = "/api/console/v1"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _identified(client, register):
    headers, _ = register()
    client.put(
        f"{MOBILE}/me/identity", headers=headers, json={"legal_name": "韩梅梅", "id_number": id_number(order="004")}
    )
    return headers


def _sign(client, headers):
    agreement = client.get(f"{MOBILE}/agreements/current", headers=headers).get_json()
    return client.post(
        f"{MOBILE}/me/agreements",
        headers=headers,
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
        json={"version": agreement["version"], "text_sha256": agreement["body_sha256"], "device": "iPhone 15"},
    )


def test_a_signature_verifies_with_the_published_key_and_tampering_is_caught(client, register):
    headers = _identified(client, register)
    signed = _sign(client, headers)
    assert signed.status_code == 201, signed.get_json()
    body = signed.get_json()
    record = body["record"]
    assert record["signer_name"] == "韩梅梅" and record["ip"] == "203.0.113.7" and record["device"] == "iPhone 15"
    assert record["agreement_version"] == 1 and len(record["text_sha256"]) == 64

    key = client.get(f"{MOBILE}/agreements/public-key").get_json()  # no sign-in needed
    raw = base64.urlsafe_b64decode(key["public_key"] + "==")
    # Anyone can check it offline with the published key...
    Ed25519PublicKey.from_public_bytes(raw).verify(
        base64.urlsafe_b64decode(body["signature"] + "=="), esign.canonical(record)
    )
    # ...or ask the platform.
    ok = client.post(f"{MOBILE}/agreements/verify", json={"record": record, "signature": body["signature"]}).get_json()
    assert ok == {"valid": True, "key_id": key["key_id"], "matches_stored": True}
    forged = client.post(
        f"{MOBILE}/agreements/verify", json={"record": {**record, "ip": "198.51.100.1"}, "signature": body["signature"]}
    )
    assert forged.get_json()["valid"] is False and forged.get_json()["matches_stored"] is False


def test_signing_needs_the_exact_text_of_the_current_version(client, app, register):
    headers = _identified(client, register)
    agreement = client.get(f"{MOBILE}/agreements/current", headers=headers).get_json()
    wrong = client.post(
        f"{MOBILE}/me/agreements",
        headers=headers,
        json={"version": agreement["version"], "text_sha256": "0" * 64, "device": "x"},
    )
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "text_sha256"
    old = client.post(
        f"{MOBILE}/me/agreements",
        headers=headers,
        json={"version": 99, "text_sha256": agreement["body_sha256"], "device": "x"},
    )
    assert old.status_code == 422 and old.get_json()["errors"][0]["field"] == "version"
    with app.app_context():
        assert db.session.execute(text("SELECT count(*) FROM agreement_signatures")).scalar() == 0


def test_a_new_agreement_version_must_be_signed_again(client, factory, register):
    headers = _identified(client, register)
    _sign(client, headers)
    assert "agreement" not in client.get(f"{MOBILE}/me", headers=headers).get_json()["missing"]
    published = client.post(
        f"{CONSOLE}/agreement-templates",
        headers=factory.as_role("platform_admin"),
        json={"title": "Service agreement", "body": "Version two."},
    )
    assert published.status_code == 201 and published.get_json()["version"] == 2
    assert "agreement" in client.get(f"{MOBILE}/me", headers=headers).get_json()["missing"]


def test_the_signing_record_schema_names_exactly_the_signed_fields():
    assert set(SigningRecord().fields) == set(esign.SIGNED_FIELDS)


def test_uploads_are_content_addressed_and_typed_by_their_bytes(client, register):
    headers, _ = register()
    first = client.post(f"{MOBILE}/files", headers=headers, data={"file": (io.BytesIO(PNG), "id.png")})
    assert first.status_code == 201
    assert first.get_json()["content_type"] == "image/png" and len(first.get_json()["sha256"]) == 64
    again = client.post(f"{MOBILE}/files", headers=headers, data={"file": (io.BytesIO(PNG), "other.jpg")})
    assert again.get_json()["sha256"] == first.get_json()["sha256"]
    script = client.post(f"{MOBILE}/files", headers=headers, data={"file": (io.BytesIO(b"#!/bin/sh"), "x.png")})
    assert script.status_code == 422 and script.get_json()["errors"][0]["field"] == "file"

    plain_sha = first.get_json()["sha256"]
    not_sealed = client.put(
        f"{MOBILE}/me/identity",
        headers=headers,
        json={"legal_name": "x", "id_number": id_number(), "id_photo_sha256": plain_sha},
    )
    assert not_sealed.status_code == 422 and not_sealed.get_json()["errors"][0]["field"] == "id_photo_sha256"


def test_an_id_photo_is_encrypted_on_disk(client, app, register):
    headers, _ = register()
    photo = PNG + b"face"
    uploaded = client.post(
        f"{MOBILE}/files", headers=headers, data={"file": (io.BytesIO(photo), "id.png"), "purpose": "id_photo"}
    )
    assert uploaded.status_code == 201, uploaded.get_json()
    sha = uploaded.get_json()["sha256"]
    with app.app_context():
        on_disk = storage.path_for(sha, sealed=True).read_bytes()
        assert b"PNG" not in on_disk and photo not in on_disk
        assert storage.read(sha, sealed=True) == photo
    identity = client.put(
        f"{MOBILE}/me/identity",
        headers=headers,
        json={"legal_name": "x", "id_number": id_number(), "id_photo_sha256": sha},
    )
    assert identity.status_code == 200 and identity.get_json()["has_id_photo"] is True


def test_the_migration_seeds_seven_roles_and_admins_may_add_more(client, factory):
    admin = factory.as_role("platform_admin")
    catalogue = client.get(f"{CONSOLE}/workforce-catalogue", headers=admin).get_json()
    assert [r["code"] for r in catalogue["roles"]] == [
        "daily_maintenance",
        "generator_operator",
        "construction",
        "repair",
        "property_liaison",
        "monitoring",
        "station_lead",
    ]
    assert {"electrician", "working_at_height", "welding", "generator_operation", "fibre_splicing"} <= {
        s["code"] for s in catalogue["skills"]
    }
    added = client.post(f"{CONSOLE}/roles", headers=admin, json={"code": "crane_operator", "name": "Crane operator"})
    assert added.status_code == 201
    assert (
        client.post(f"{CONSOLE}/roles", headers=admin, json={"code": "crane_operator", "name": "x"}).status_code == 409
    )
    assert (
        client.post(
            f"{CONSOLE}/roles", headers=factory.as_role("dispatcher"), json={"code": "x_y", "name": "x"}
        ).status_code
        == 403
    )


def test_the_skill_profile_explains_each_dimension(client, factory):
    region = factory.region((116.0, 39.0, 117.0, 40.0))
    technician = factory.technician(
        skills=[("electrician", 4), ("welding", 2), ("fibre_splicing", 5, None, "pending")], region_ids=[region]
    )
    staff = factory.headers(factory.dispatcher([region]))
    for kind, extra in (
        ("exam_theory", {"score": 82}),
        ("exam_practical", {"score": 90}),
        ("experience", {"years": 3}),
        ("equipment", {"item": "generator"}),
        ("equipment", {"item": "tools"}),
        ("insurance", {"valid_until": "2999-01-01"}),
        ("health_certificate", {"valid_until": "2000-01-01"}),
    ):
        response = client.post(
            f"{CONSOLE}/technicians/{technician}/certifications", headers=staff, json={"kind": kind, **extra}
        )
        assert response.status_code == 201, response.get_json()
    missing_score = client.post(
        f"{CONSOLE}/technicians/{technician}/certifications", headers=staff, json={"kind": "exam_theory"}
    )
    assert missing_score.status_code == 422 and missing_score.get_json()["errors"][0]["field"] == "score"

    profile = client.get(f"{CONSOLE}/technicians/{technician}/skill-profile", headers=staff).get_json()
    values = {d["key"]: d["value"] for d in profile["dimensions"]}
    assert values == {"skills": 40, "theory": 82, "practical": 90, "experience": 60, "equipment": 65, "compliance": 50}
    assert all(0 <= d["value"] <= 100 and d["derivation"] for d in profile["dimensions"])
    mine = client.get(f"{MOBILE}/me/skill-profile", headers=factory.technician_headers(technician)).get_json()
    assert mine["dimensions"] == profile["dimensions"]
    assert client.get(f"{CONSOLE}/technicians/999999/skill-profile", headers=staff).status_code == 404


def test_migration_0002_seeds_the_catalogues_and_the_agreement(app):
    from flask_migrate import downgrade, upgrade

    from backend.tracking.store import forget_partitions

    with app.app_context():
        downgrade(revision="0001")
        upgrade()
        forget_partitions()  # the day partitions went with the tracking tables
        counts = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM technician_roles), (SELECT count(*) FROM skills),"
                " (SELECT count(*) FROM agreement_templates"
                "  WHERE encode(sha256(convert_to(body, 'UTF8')), 'hex') = body_sha256)"
            )
        ).one()
    assert tuple(counts) == (7, 10, 1)
