"""Mobile routes: importing each capability's module registers its routes on `mobile`."""

from mobile_api import devices, hints, navigation, onboarding, orders, sync, tracking

CAPABILITIES = (onboarding, orders, tracking, devices, hints, sync, navigation)
