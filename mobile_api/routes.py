"""Mobile routes: importing each capability's module registers its routes on `mobile`."""

from mobile_api import onboarding, orders, tracking, work_records

CAPABILITIES = (onboarding, orders, tracking, work_records)
