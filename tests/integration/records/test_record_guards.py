"""What the database itself refuses on work records, confirmations and rate cards."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.extensions import db
from backend.models import DailyWorkRecord, RateCard, RecordConfirmation

NOW = datetime(2026, 12, 1, 15, 59, tzinfo=UTC)


@pytest.fixture
def record_id(app, factory):
    org_id, technician_id = factory.org(), factory.technician()
    with app.app_context():
        record = DailyWorkRecord(
            org_id=org_id,
            technician_id=technician_id,
            work_date=date(2026, 12, 1),
            version=1,
            state="pending_confirmation",
            lines=[],
            points=0,
            pay_fen=0,
            fee_fen=0,
            shares_fen=0,
            insurance_fen=0,
            shares=[],
            rate_card_versions=[],
            digest="0" * 64,
            created_at=NOW,
            client_deadline=NOW + timedelta(hours=72),
        )
        db.session.add(record)
        db.session.commit()
        return record.id


def refused(app, sql, **params):
    with app.app_context():
        with pytest.raises(DBAPIError):
            db.session.execute(text(sql), params)
            db.session.flush()
        db.session.rollback()


def test_a_record_changes_only_its_state(app, record_id):
    refused(app, "UPDATE daily_work_records SET pay_fen = 1 WHERE id = :id", id=record_id)
    refused(app, "UPDATE daily_work_records SET lines = '[1]' WHERE id = :id", id=record_id)
    refused(app, "DELETE FROM daily_work_records WHERE id = :id", id=record_id)
    with app.app_context():
        db.session.execute(
            text("UPDATE daily_work_records SET state = 'finalized', finalized_at = now() WHERE id = :id"),
            dict(id=record_id),
        )
        db.session.commit()
        assert db.session.get(DailyWorkRecord, record_id).state == "finalized"


def test_a_finalized_record_never_changes_state_again(app, record_id):
    with app.app_context():
        db.session.execute(
            text("UPDATE daily_work_records SET state = 'finalized', finalized_at = now() WHERE id = :id"),
            dict(id=record_id),
        )
        db.session.commit()
    refused(app, "UPDATE daily_work_records SET state = 'disputed', finalized_at = NULL WHERE id = :id", id=record_id)
    refused(app, "UPDATE daily_work_records SET state = 'superseded', finalized_at = NULL WHERE id = :id", id=record_id)


def test_confirmations_are_never_updated_or_deleted(app, record_id):
    with app.app_context():
        confirmation = RecordConfirmation(
            record_id=record_id,
            party="technician",
            decision="confirm",
            disputed_order_ids=[],
            channel="app",
            actor_kind="technician",
            at=NOW,
            record_digest="0" * 64,
            provider="platform",
            key_id="k",
            signature="s",
        )
        db.session.add(confirmation)
        db.session.commit()
        confirmation_id = confirmation.id
    refused(app, "UPDATE record_confirmations SET decision = 'dispute' WHERE id = :id", id=confirmation_id)
    refused(app, "DELETE FROM record_confirmations WHERE id = :id", id=confirmation_id)


def test_rate_card_versions_never_change(app, factory):
    org_id = factory.org()
    with app.app_context():
        card = RateCard(org_id=org_id, version=1, terms={"fen_per_point": "100"})
        db.session.add(card)
        db.session.commit()
        card_id = card.id
    refused(app, "UPDATE rate_cards SET terms = '{}' WHERE id = :id", id=card_id)
    refused(app, "DELETE FROM rate_cards WHERE id = :id", id=card_id)
