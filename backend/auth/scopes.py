"""Permissions as scopes. People get the scopes of their role; API keys get chosen ones."""

CLIENT_READ = ("regions:read", "sites:read", "orgs:read")
CLIENT_ADMIN_EXTRA = ("regions:write", "sites:write", "orgs:manage", "users:read", "users:manage", "keys:manage")
STAFF_ONLY = ("platform:manage",)

ROLE_SCOPES = {
    "platform_admin": frozenset(CLIENT_READ + CLIENT_ADMIN_EXTRA + STAFF_ONLY),
    "dispatcher": frozenset(CLIENT_READ + ("regions:write", "users:read")),
    "client_admin": frozenset(CLIENT_READ + CLIENT_ADMIN_EXTRA),
    "client_user": frozenset(CLIENT_READ + ("sites:write",)),
    "technician": frozenset(),
}

# What a client may grant to one of its machine keys.
API_KEY_SCOPES = ("regions:read", "sites:read", "sites:write")
