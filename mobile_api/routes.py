"""Mobile routes: importing each capability's module registers its routes on `mobile`."""

from mobile_api import earnings, onboarding, orders, tracking, work_records

CAPABILITIES = (onboarding, orders, tracking, earnings, work_records)
