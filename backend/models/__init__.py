"""ORM models; the schema itself comes only from the Alembic migrations."""

from backend.models.accounts import ApiKey, Organization, Technician, User
from backend.models.hints import WorkHint
from backend.models.money import LedgerAccount, LedgerTransfer
from backend.models.notifications import Device, Notification, NotificationPreference
from backend.models.orders import (
    IdempotencyKey,
    MatchingPosition,
    Order,
    OrderEvent,
    OrderOffer,
    OrderSkill,
    RateCard,
    WebhookDelivery,
    WebhookEndpoint,
)
from backend.models.places import Region, Site
from backend.models.planning import PlanRoute, PlanStop, PlanUnassigned, RoutePlan
from backend.models.records import (
    DailyWorkRecord,
    RecordConfirmation,
    Team,
    TeamChangeRequest,
    TeamMembership,
    WorkDayClose,
    WorkItem,
)
from backend.models.settlement import CreditLimit, OrderReservation, RecordPosting, TaxWithholding, TaxYear
from backend.models.sync import OfflineWrite
from backend.models.tracking import DispatcherRegion, LocationConsent, TechnicianEvent, TrackPoint
from backend.models.workforce import (
    AgreementSignature,
    AgreementTemplate,
    Certification,
    Role,
    RoleChangeRequest,
    Skill,
    TechnicianProfile,
    TechnicianRegion,
    TechnicianSkill,
    WorkforceAudit,
)

__all__ = [
    "AgreementSignature",
    "AgreementTemplate",
    "ApiKey",
    "Certification",
    "CreditLimit",
    "DailyWorkRecord",
    "Device",
    "DispatcherRegion",
    "IdempotencyKey",
    "LedgerAccount",
    "LedgerTransfer",
    "LocationConsent",
    "MatchingPosition",
    "Notification",
    "NotificationPreference",
    "OfflineWrite",
    "Order",
    "OrderEvent",
    "OrderOffer",
    "OrderReservation",
    "OrderSkill",
    "Organization",
    "PlanRoute",
    "PlanStop",
    "PlanUnassigned",
    "RateCard",
    "RecordConfirmation",
    "RecordPosting",
    "Region",
    "Role",
    "RoleChangeRequest",
    "RoutePlan",
    "Site",
    "Skill",
    "TaxWithholding",
    "TaxYear",
    "Team",
    "TeamChangeRequest",
    "TeamMembership",
    "Technician",
    "TechnicianEvent",
    "TechnicianProfile",
    "TechnicianRegion",
    "TechnicianSkill",
    "TrackPoint",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WorkDayClose",
    "WorkHint",
    "WorkItem",
    "WorkforceAudit",
]
