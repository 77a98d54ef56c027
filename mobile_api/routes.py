"""Mobile routes; each capability adds its own module and imports it here."""

import mobile_api.onboarding  # noqa: F401  (workforce)
import mobile_api.orders  # noqa: F401  (work orders)
import mobile_api.tracking  # noqa: F401  (tracking)
