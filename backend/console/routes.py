"""Console routes; each capability adds its own module and imports it here."""

import backend.console.orders  # noqa: F401  (work orders)
import backend.console.planning  # noqa: F401  (route planning)
import backend.console.technicians  # noqa: F401  (workforce)
import backend.console.tracking  # noqa: F401  (tracking)
