"""Pay of verified work, the platform's service fee and the team shares, in integer fen.

- pay = points x fen_per_point, rounded half-up to the fen. Points are what orders store
  (`points_centi`, 0.01 point; `points_from_centi` turns them into a Decimal), and the price of
  a point may itself carry decimals.
- fee = pay x fee basis points / 10,000, rounded half-up, charged to the client on top of pay.
- shares: the member's first-level leader gets x basis points of the member's pay, the second
  level y basis points, each rounded half-up and paid by the client on top of pay; the member's
  own pay is never reduced. At most two levels above a member.

Everything is priced per order, so every fen traces back to one order and its points. The fee is
taken on the member's pay only, not on the shares.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

BASIS_POINTS = 10_000
MAX_SHARE_LEVELS = 2


@dataclass(frozen=True)
class Share:
    level: int  # 1 = the member's leader, 2 = the leader's leader
    recipient_id: int
    basis_points: int
    fen: int


@dataclass(frozen=True)
class OrderCharge:
    """What one verified order costs the client and earns each party, with its inputs."""

    points: Decimal
    fen_per_point: Decimal
    pay_fen: int  # the technician's gross pay
    fee_basis_points: int
    fee_fen: int  # the platform's service fee
    shares: tuple[Share, ...]

    @property
    def shares_fen(self) -> int:
        return sum(share.fen for share in self.shares)

    @property
    def client_total_fen(self) -> int:
        return self.pay_fen + self.fee_fen + self.shares_fen


def points_from_centi(points_centi: int) -> Decimal:
    """Points as orders store them (integer 0.01 points) as an exact Decimal."""
    return Decimal(points_centi).scaleb(-2)


def to_fen(amount: Decimal) -> int:
    """A non-negative Decimal amount of fen rounded half-up to the whole fen."""
    if amount < 0:
        raise ValueError("amounts of money are never negative here")
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def pay_fen(points: Decimal, fen_per_point: Decimal | int) -> int:
    """Pay of an order: points x price of a point, rounded half-up to the fen."""
    return to_fen(_decimal(points, "points") * _decimal(fen_per_point, "fen_per_point"))


def part_of(amount_fen: int, basis_points: int) -> int:
    """basis_points / 10,000 of an amount of fen, rounded half-up (exact integer arithmetic)."""
    _check_basis_points(basis_points)
    if not isinstance(amount_fen, int) or amount_fen < 0:
        raise ValueError("amount_fen must be a non-negative integer")
    return (2 * amount_fen * basis_points + BASIS_POINTS) // (2 * BASIS_POINTS)


def shares_of(pay: int, uplines: Sequence[tuple[int, int]]) -> tuple[Share, ...]:
    """The shares of the member's leaders: `uplines` lists (recipient id, basis points), nearest first."""
    if len(uplines) > MAX_SHARE_LEVELS:
        raise ValueError(f"at most {MAX_SHARE_LEVELS} levels above a member share in its pay")
    return tuple(
        Share(level, recipient, bp, part_of(pay, bp)) for level, (recipient, bp) in enumerate(uplines, start=1) if bp
    )


def charge_order(
    points: Decimal,
    fen_per_point: Decimal | int,
    fee_basis_points: int,
    uplines: Sequence[tuple[int, int]] = (),
) -> OrderCharge:
    """The full breakdown of one verified order."""
    pay = pay_fen(points, fen_per_point)
    return OrderCharge(
        points=_decimal(points, "points"),
        fen_per_point=_decimal(fen_per_point, "fen_per_point"),
        pay_fen=pay,
        fee_basis_points=fee_basis_points,
        fee_fen=part_of(pay, fee_basis_points),
        shares=shares_of(pay, uplines),
    )


def _decimal(value, name) -> Decimal:
    if isinstance(value, float) or isinstance(value, bool):
        raise TypeError(f"{name} must be a Decimal or an integer, never a float")
    number = Decimal(value)
    if not number.is_finite() or number < 0:
        raise ValueError(f"{name} must be a non-negative finite number")
    return number


def _check_basis_points(basis_points):
    if not isinstance(basis_points, int) or isinstance(basis_points, bool) or not 0 <= basis_points <= BASIS_POINTS:
        raise ValueError("basis points must be an integer from 0 to 10,000")
