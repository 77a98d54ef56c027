"""Console routes: importing each capability's module registers its routes on `console`."""

from backend.console import orders, planning, technicians, tracking

CAPABILITIES = (technicians, orders, planning, tracking)
