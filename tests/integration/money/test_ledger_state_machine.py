"""A Hypothesis state machine drives the real ledger tables and a plain-Python model side by side:
funding, reservations (pending), posts, partial posts, voids, time-outs and the expiry job,
replays of the same id (same and other fields), linked groups (some failing), abandoned
transactions. After every step the invariants are checked against the database."""

import copy
import itertools
import os
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from backend.extensions import db
from backend.models.money import LedgerAccount, LedgerTransfer
from backend.money import ledger
from backend.money.accounts import Kind, Owner
from backend.money.ledger import Transfer

T0 = datetime(2026, 12, 1, tzinfo=UTC)
owners = itertools.count(1000, 2)  # fresh accounts for every example; tables are emptied after the test
amounts = st.integers(1, 5_000)


class Model:
    """The ledger's rules in a few lines of Python: totals per account, transfers, resolutions."""

    def __init__(self, flags):
        self.flags = flags  # account -> "debits<=credits" | "credits<=debits"
        self.totals = {a: [0, 0, 0, 0] for a in flags}  # debits posted/pending, credits posted/pending
        self.transfers = {}  # id -> Transfer as stored (amount filled in), plus expires_at
        self.resolutions = {}

    def room(self, account, side):
        dp, dq, cp, cq = self.totals[account]
        return cp - dp - dq if side == "debit" else dp - cp - cq

    def move(self, t: Transfer, now):
        """Expected result code of a single or pending transfer; applies it when ok."""
        if self.flags[t.debit_account_id] == "debits<=credits" and t.amount > self.room(t.debit_account_id, "debit"):
            return "exceeds_credits"
        if self.flags[t.credit_account_id] == "credits<=debits" and t.amount > self.room(t.credit_account_id, "credit"):
            return "exceeds_debits"
        column = 1 if t.pending else 0
        self.totals[t.debit_account_id][column] += t.amount
        self.totals[t.credit_account_id][column + 2] += t.amount
        expires = now + timedelta(seconds=t.timeout_s) if t.timeout_s else None
        self.transfers[t.id] = (t, expires)
        return "ok"

    def resolve(self, t: Transfer, now, expiry=False):
        pending, expires = self.transfers[t.pending_id]
        if t.pending_id in self.resolutions:
            return f"pending_transfer_already_{self.resolutions[t.pending_id]}"
        if t.amount is not None and t.amount > pending.amount:
            return "exceeds_pending_transfer_amount"
        if expires is not None and expires <= now and not expiry:
            return "pending_transfer_expired"
        posted = (pending.amount if t.amount is None else t.amount) if t.post_pending else 0
        self.totals[pending.debit_account_id][1] -= pending.amount
        self.totals[pending.credit_account_id][3] -= pending.amount
        self.totals[pending.debit_account_id][0] += posted
        self.totals[pending.credit_account_id][2] += posted
        self.resolutions[t.pending_id] = "posted" if t.post_pending else ("expired" if expiry else "voided")
        self.transfers[t.id] = (t, None)
        return "ok"

    def apply(self, t: Transfer, now):
        if t.id in self.transfers:
            return "exists"
        return self.resolve(t, now) if t.pending_id else self.move(t, now)

    def expire(self, now):
        due = [
            pid
            for pid, (t, expires) in self.transfers.items()
            if t.pending and expires is not None and expires <= now and pid not in self.resolutions
        ]
        for pid in due:
            self.resolve(Transfer(f"sys:expiry:{pid}", pending_id=pid, void_pending=True), now, expiry=True)
        return sorted(due)


class LedgerMachine(RuleBasedStateMachine):
    pendings = Bundle("pendings")
    written = Bundle("written")

    def __init__(self):
        super().__init__()
        self.prefix = uuid.uuid4().hex[:8]
        self.ids = itertools.count()
        self.now = T0
        owner = next(owners)
        self.bank = ledger.platform_account(db.session, Kind.CUSTODY_BANK).id
        self.clients = [ledger.open_account(db.session, Kind.FUNDS, Owner.ORGANIZATION, owner + i).id for i in (0, 1)]
        self.payables = [ledger.open_account(db.session, Kind.PAYABLE, Owner.TECHNICIAN, owner + i).id for i in (0, 1)]
        db.session.commit()
        bank = ledger.get_account(db.session, self.bank)
        flags = {a: "debits<=credits" for a in self.clients + self.payables}
        self.model = Model(flags | {self.bank: "credits<=debits"})
        # the bank account is shared by every example: start the model from its current totals
        self.model.totals[self.bank] = [
            bank.debits_posted,
            bank.debits_pending,
            bank.credits_posted,
            bank.credits_pending,
        ]
        self.first_answers = {}

    def new_id(self):
        return f"{self.prefix}-{next(self.ids)}"

    def send(self, transfers, *, commit=True):
        """Both sides take the batch; their answers must agree."""
        results = ledger.create_transfers(db.session, transfers, now=self.now)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()
        for result in results:
            if result.result == "ok":
                self.first_answers[result.id] = result.transfer
        return results

    def expect(self, transfers, codes):
        results = self.send(transfers)
        assert [r.result for r in results] == codes, (transfers, results)
        return results

    # -- rules

    @rule(target=written, client=st.integers(0, 1), amount=st.integers(1, 20_000))
    def fund(self, client, amount):
        t = Transfer(self.new_id(), self.bank, self.clients[client], amount, "funding", reference="bank-ref")
        self.expect([t], [self.model.apply(t, self.now)])
        return t

    @rule(target=written, client=st.integers(0, 1), payable=st.integers(0, 1), amount=amounts)
    def pay(self, client, payable, amount):
        t = Transfer(self.new_id(), self.clients[client], self.payables[payable], amount, "pay")
        self.expect([t], [self.model.apply(t, self.now)])
        return t

    @rule(
        target=pendings,
        client=st.integers(0, 1),
        payable=st.integers(0, 1),
        amount=amounts,
        timeout=st.sampled_from([0, 60, 3600]),
    )
    def reserve(self, client, payable, amount, timeout):
        t = Transfer(
            self.new_id(),
            self.clients[client],
            self.payables[payable],
            amount,
            "reservation",
            pending=True,
            timeout_s=timeout,
        )
        code = self.model.apply(t, self.now)
        self.expect([t], [code])
        return t.id if code == "ok" else None

    @rule(pending_id=pendings, part=st.one_of(st.none(), st.integers(1, 6_000)))
    def post(self, pending_id, part):
        if pending_id is None:
            return
        t = Transfer(self.new_id(), pending_id=pending_id, post_pending=True, amount=part)
        self.expect([t], [self.model.apply(t, self.now)])

    @rule(pending_id=pendings)
    def void(self, pending_id):
        if pending_id is None:
            return
        t = Transfer(self.new_id(), pending_id=pending_id, void_pending=True)
        self.expect([t], [self.model.apply(t, self.now)])

    @rule(seconds=st.sampled_from([30, 61, 1800, 3601]))
    def time_passes(self, seconds):
        self.now += timedelta(seconds=seconds)

    @rule()
    def expiry_job(self):
        expected = self.model.expire(self.now)
        voided = ledger.expire_pending_transfers(db.session, now=self.now)
        db.session.commit()
        mine = sorted(v.pending_id for v in voided if v.pending_id.startswith(self.prefix))
        assert mine == expected

    @rule(t=written)
    def replay_same(self, t):
        """A written id answers its first transfer; a refused one is simply tried again."""
        code = self.model.apply(t, self.now)
        (result,) = self.expect([t], [code])
        if code == "exists":
            assert result.transfer == self.first_answers[t.id]

    @rule(t=written, extra=st.integers(1, 100))
    def replay_other_amount(self, t, extra):
        if t.id not in self.first_answers:
            return
        changed = Transfer(**(t.__dict__ | {"amount": t.amount + extra}))
        self.expect([changed], ["exists_with_different_amount"])

    @rule(client=st.integers(0, 1), pay=amounts, fee=amounts, third=st.one_of(st.none(), amounts))
    def linked_group(self, client, pay, fee, third):
        group = [
            Transfer(self.new_id(), self.clients[client], self.payables[0], pay, "pay", linked=True),
            Transfer(self.new_id(), self.clients[client], self.payables[1], fee, "fee", linked=third is not None),
        ]
        if third is not None:
            group.append(Transfer(self.new_id(), self.clients[client], self.payables[0], third, "share"))
        trial = copy.deepcopy(self.model)
        codes = [trial.apply(t, self.now) for t in group]
        failed = [i for i, code in enumerate(codes) if code != "ok"]
        if failed:  # the first failure names itself, the rest of the chain fails with it
            first = codes[failed[0]]
            codes = ["linked_event_failed"] * len(group)
            codes[failed[0]] = first
        else:
            self.model = trial
        self.expect(group, codes)

    @rule(client=st.integers(0, 1), amount=amounts)
    def abandoned(self, client, amount):
        """A caller that rolls its transaction back leaves no trace."""
        t = Transfer(self.new_id(), self.bank, self.clients[client], amount, "funding")
        self.send([t], commit=False)
        assert ledger.lookup_transfers(db.session, [t.id]) == {}

    # -- invariants

    @invariant()
    def debits_equal_credits(self):
        sums = db.session.execute(
            select(
                func.coalesce(func.sum(LedgerAccount.debits_posted), 0),
                func.coalesce(func.sum(LedgerAccount.credits_posted), 0),
                func.coalesce(func.sum(LedgerAccount.debits_pending), 0),
                func.coalesce(func.sum(LedgerAccount.credits_pending), 0),
            )
        ).one()
        assert sums[0] == sums[1] and sums[2] == sums[3]

    @invariant()
    def totals_match_the_model(self):
        for account_id, expected in self.model.totals.items():
            a = ledger.get_account(db.session, account_id)
            assert [a.debits_posted, a.debits_pending, a.credits_posted, a.credits_pending] == expected

    @invariant()
    def no_flagged_account_below_zero(self):
        for account_id in self.clients + self.payables:
            a = ledger.get_account(db.session, account_id)
            assert a.debits_posted + a.debits_pending <= a.credits_posted
            assert a.available >= 0
        bank = ledger.get_account(db.session, self.bank)
        assert bank.credits_posted + bank.credits_pending <= bank.debits_posted

    @invariant()
    def a_pending_transfer_resolves_at_most_once(self):
        most = db.session.scalar(
            select(func.count()).select_from(LedgerTransfer).where(LedgerTransfer.pending_id.is_not(None))
            .group_by(LedgerTransfer.pending_id).order_by(func.count().desc()).limit(1)
        )  # fmt: skip
        assert most in (None, 1)


def test_the_ledger_keeps_its_invariants_under_random_operations(app):
    with app.app_context():
        run_state_machine_as_test(
            LedgerMachine,
            settings=settings(
                max_examples=int(os.environ.get("GRIDWORK_LEDGER_EXAMPLES", "30")),
                stateful_step_count=25,
                deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
            ),
        )
        db.session.rollback()
