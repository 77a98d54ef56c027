"""Console routes; each capability adds its own module and imports it here."""
