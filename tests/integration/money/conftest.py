import pytest

from backend.extensions import db
from backend.money import ledger
from backend.money.accounts import Kind, Owner
from backend.money.ledger import Transfer


@pytest.fixture
def session(app):
    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def books(session):
    """The platform's bank account, two clients' funds and a technician's payable."""

    class Books:
        bank = ledger.platform_account(session, Kind.CUSTODY_BANK).id
        fees = ledger.platform_account(session, Kind.FEE_REVENUE).id
        client = ledger.open_account(session, Kind.FUNDS, Owner.ORGANIZATION, 1).id
        other_client = ledger.open_account(session, Kind.FUNDS, Owner.ORGANIZATION, 2).id
        payable = ledger.open_account(session, Kind.PAYABLE, Owner.TECHNICIAN, 1).id

        def fund(self, account_id, amount, transfer_id=None):
            """A received bank transfer credited to a client."""
            spec = Transfer(transfer_id or f"fund-{account_id}-{amount}", self.bank, account_id, amount, "funding")
            return ledger.apply_transfers(session, [spec])[0]

    session.commit()
    return Books()
