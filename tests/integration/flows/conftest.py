"""Money-flow fixtures: the order tests' world (clients X with X1, X2 and Y, technicians in
districts A and B) and their fast password hashing."""

from tests.integration.orders.conftest import _fast_passwords, world  # noqa: F401  (fixtures)
