"""The order state machine: explicit allowed transitions per kind (pure data; state.py applies them).

dispatch  created → published → (offered →) assigned → accepted → en_route → on_site → delivered → verified
checkin   the same walk; check-out of the site is what delivers (the on-site duration is recorded)
project   online work: accepted → delivered (files only) → verified; no travel, no site
Any open or running order can be cancelled; unassigned ones expire when their window passes;
a rejected delivery returns to the technician (who delivers again).
"""

OPEN = ("published", "offered")  # visible to eligible technicians, claimable
UNASSIGNED = ("created", "published", "offered", "assigned")
ACTIVE = ("assigned", "accepted", "en_route", "on_site", "rejected")  # count toward a technician's load
FINAL = ("verified", "cancelled", "expired")

_COMMON = {
    "created": {"published", "cancelled", "expired"},
    "published": {"offered", "assigned", "accepted", "cancelled", "expired"},
    "offered": {"published", "assigned", "accepted", "cancelled", "expired"},
    "assigned": {"accepted", "published", "assigned", "cancelled", "expired"},
    "delivered": {"verified", "rejected"},
    "verified": set(),
    "cancelled": set(),
    "expired": set(),
}
_ON_SITE_KINDS = {
    "accepted": {"en_route", "cancelled"},
    "en_route": {"on_site", "cancelled"},
    "on_site": {"delivered", "cancelled"},
    "rejected": {"en_route", "on_site", "delivered", "cancelled"},
}
TRANSITIONS = {
    "dispatch": {**_COMMON, **_ON_SITE_KINDS},
    "checkin": {**_COMMON, **_ON_SITE_KINDS, "rejected": {"en_route", "on_site", "cancelled"}},
    "project": {
        **_COMMON,
        "accepted": {"delivered", "cancelled"},
        "rejected": {"delivered", "cancelled"},
        "en_route": set(),
        "on_site": set(),
    },  # online work never travels
}


def allowed_from(kind: str, status: str) -> list[str]:
    """The states an order of this kind may move to from `status`."""
    return sorted(TRANSITIONS[kind].get(status, set()))
