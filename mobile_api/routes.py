"""Mobile routes: importing each capability's module registers its routes on `mobile`."""

from mobile_api import devices, earnings, hints, navigation, onboarding, orders, sync, tracking, work_records

CAPABILITIES = (onboarding, orders, tracking, earnings, work_records, devices, hints, sync, navigation)
