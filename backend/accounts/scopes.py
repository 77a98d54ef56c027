"""Permissions as scopes. People get the scopes of their role; API keys get chosen ones."""

CLIENT_READ = ("regions:read", "sites:read", "orgs:read")
CLIENT_ADMIN_EXTRA = ("regions:write", "sites:write", "orgs:manage", "users:read", "users:manage", "keys:manage")
STAFF_ONLY = ("platform:manage",)
# Workforce: dispatchers find technicians and assign regions; only platform admins decide
# on profiles, role changes and skills ("technicians:approve"). Technicians act on their own record.
WORKFORCE_STAFF = ("technicians:read", "technicians:manage")
WORKFORCE_ADMIN = ("technicians:approve",)
TECHNICIAN_SELF = ("profile:self",)
# Work orders: clients create and follow them; staff dispatch them and set rate cards; technicians work them.
ORDERS_CLIENT = ("orders:read", "orders:write")
ORDERS_STAFF = ("orders:read", "orders:dispatch")
ORDERS_ADMIN = ("ratecards:manage",)
ORDERS_TECHNICIAN = ("orders:work",)
WEBHOOKS = ("webhooks:manage",)

ROLE_SCOPES = {
    "platform_admin": frozenset(
        CLIENT_READ + CLIENT_ADMIN_EXTRA + STAFF_ONLY + WORKFORCE_STAFF + WORKFORCE_ADMIN + ORDERS_STAFF + ORDERS_ADMIN
    ),
    "dispatcher": frozenset(CLIENT_READ + ("regions:write", "users:read") + WORKFORCE_STAFF + ORDERS_STAFF),
    "client_admin": frozenset(CLIENT_READ + CLIENT_ADMIN_EXTRA + ORDERS_CLIENT + WEBHOOKS),
    "client_user": frozenset(CLIENT_READ + ("sites:write",) + ORDERS_CLIENT),
    "technician": frozenset(TECHNICIAN_SELF + ORDERS_TECHNICIAN),
}

# What a client may grant to one of its machine keys.
API_KEY_SCOPES = ("regions:read", "sites:read", "sites:write", *ORDERS_CLIENT, *WEBHOOKS)
