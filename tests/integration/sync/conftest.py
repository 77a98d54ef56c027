from tests.integration.orders.conftest import _fast_passwords, world  # noqa: F401  (shared fixtures)
