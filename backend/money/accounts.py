"""The chart of accounts, as data: which kinds of ledger account exist, who owns them, and
which balance rule the ledger enforces on each (TigerBeetle's account flags).

Normal side: a liability or income account (money the platform holds for or owes someone) grows
with credits and is "credit-normal"; an asset (the custody bank account) grows with debits.
`debits_must_not_exceed_credits` keeps a credit-normal account from going below zero: its posted
and pending debits may never exceed its posted credits (pending credits are not yet spendable).

| kind | owner | normal | flag | what it holds |
|---|---|---|---|---|
| funds | organization | credit | debits <= credits | a client's money held by the platform, spendable |
| reserved | organization | credit | debits <= credits | a client's money set aside for published work |
| payable | technician | credit | debits <= credits | earnings owed to the technician (gross, before payout) |
| custody_bank | platform | debit | credits <= debits | the custody bank account where client money arrives |
| fee_revenue | platform | credit | debits <= credits | the platform's service fees |
| iit_payable | platform | credit | debits <= credits | IIT owed to the tax authority |
| insurance_payable | platform | credit | debits <= credits | accident-insurance premiums owed to insurers |
| payout_clearing | platform | credit | debits <= credits | payouts sent to providers, not yet settled |
| credit_line | organization | credit | debits <= credits | the unused part of the credit limit granted |
| credit_extended | platform | debit | none | credit limits granted to clients (memo of the credit lines' source) |

IIT withheld from a technician is not an account of its own: a payment's tax goes from the
technician's payable straight to iit_payable (the tax the platform owes the tax authority), and
what was withheld from whom is in the tax rows (`tax_years`, `tax_withholdings`), which the
earnings view and the declaration files read. Migration 0013 removed the unused `tax_withheld` kind.
"""

from dataclasses import dataclass
from enum import StrEnum

CURRENCY = "CNY"  # every amount in fen
PLATFORM_OWNER_ID = 0


class Owner(StrEnum):
    ORGANIZATION = "organization"
    TECHNICIAN = "technician"
    PLATFORM = "platform"


class Kind(StrEnum):
    FUNDS = "funds"
    RESERVED = "reserved"
    PAYABLE = "payable"
    CUSTODY_BANK = "custody_bank"
    FEE_REVENUE = "fee_revenue"
    IIT_PAYABLE = "iit_payable"
    INSURANCE_PAYABLE = "insurance_payable"
    PAYOUT_CLEARING = "payout_clearing"
    CREDIT_LINE = "credit_line"
    CREDIT_EXTENDED = "credit_extended"


@dataclass(frozen=True)
class KindRule:
    owner: Owner
    credit_normal: bool
    debits_must_not_exceed_credits: bool
    credits_must_not_exceed_debits: bool


def _liability(owner: Owner) -> KindRule:
    return KindRule(
        owner, credit_normal=True, debits_must_not_exceed_credits=True, credits_must_not_exceed_debits=False
    )


CHART: dict[Kind, KindRule] = {
    Kind.FUNDS: _liability(Owner.ORGANIZATION),
    Kind.RESERVED: _liability(Owner.ORGANIZATION),
    Kind.PAYABLE: _liability(Owner.TECHNICIAN),
    Kind.CUSTODY_BANK: KindRule(
        Owner.PLATFORM, credit_normal=False, debits_must_not_exceed_credits=False, credits_must_not_exceed_debits=True
    ),
    Kind.FEE_REVENUE: _liability(Owner.PLATFORM),
    Kind.IIT_PAYABLE: _liability(Owner.PLATFORM),
    Kind.INSURANCE_PAYABLE: _liability(Owner.PLATFORM),
    Kind.PAYOUT_CLEARING: _liability(Owner.PLATFORM),
    Kind.CREDIT_LINE: _liability(Owner.ORGANIZATION),
    Kind.CREDIT_EXTENDED: KindRule(
        Owner.PLATFORM, credit_normal=False, debits_must_not_exceed_credits=False, credits_must_not_exceed_debits=False
    ),
}

KINDS = tuple(kind.value for kind in Kind)
OWNERS = tuple(owner.value for owner in Owner)


def rule_for(kind: Kind | str, owner: Owner | str) -> KindRule:
    """The kind's rule, after checking that this kind of owner may hold it."""
    rule = CHART[Kind(kind)]
    if rule.owner is not Owner(owner):
        raise ValueError(f"a {kind} account belongs to a {rule.owner.value}, not a {owner}")
    return rule
