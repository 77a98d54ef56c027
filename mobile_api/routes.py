"""Mobile routes: importing each capability's module registers its routes on `mobile`."""

from mobile_api import (
    card_reading,
    devices,
    earnings,
    hints,
    navigation,
    onboarding,
    orders,
    regions,
    sync,
    tracking,
    work_records,
)

CAPABILITIES = (
    onboarding,
    card_reading,
    orders,
    tracking,
    earnings,
    work_records,
    devices,
    hints,
    sync,
    navigation,
    regions,
)
