"""Who may do what. The one place where roles turn into permissions.

Every view asks `has_perm(membership, "<permission>")`; nothing re-implements a role check.
Scoping by unit (a unit contact sees only paths of their unit) lives in the selectors.
"""

from polku.organisations.models import Membership

Role = Membership.Role

PERMISSIONS: dict[str, frozenset[str]] = {
    "organisation.view": frozenset(Role.values),
    "organisation.manage": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "path.view": frozenset(Role.values),
    "path.create": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "path.edit": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "workshop.run": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "experiment.view": frozenset(Role.values),
    "experiment.edit": frozenset({Role.FACILITATOR, Role.COORDINATOR, Role.UNIT_CONTACT}),
    "experiment.adopt": frozenset({Role.FACILITATOR, Role.COORDINATOR, Role.UNIT_CONTACT}),
    "experiment.manage": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "jury.view": frozenset({Role.FACILITATOR, Role.COORDINATOR, Role.VIEWER}),
    "jury.manage": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "report.dashboard": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "report.export": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "report.share": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "report.summary": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "organisation.export": frozenset({Role.FACILITATOR, Role.COORDINATOR}),
    "organisation.delete": frozenset({Role.COORDINATOR}),
}


#: role ceilings: nobody grants or removes a role above their own
ROLE_RANK: dict[str, int] = {
    Role.FACILITATOR: 4,
    Role.COORDINATOR: 3,
    Role.UNIT_CONTACT: 2,
    Role.VIEWER: 1,
}


def may_grant(membership: Membership | None, role: str) -> bool:
    """May this member give someone ``role`` (invite) or take it away (remove)?"""
    if membership is None or role not in ROLE_RANK:
        return False
    return ROLE_RANK[membership.role] >= ROLE_RANK[role]


def grantable_roles(membership: Membership | None) -> list[str]:
    return [role for role in Role.values if may_grant(membership, role)]


def has_perm(membership: Membership | None, permission: str) -> bool:
    if membership is None:
        return False
    try:
        return membership.role in PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"unknown permission {permission!r}") from None


def roles_with(permission: str) -> frozenset[str]:
    """The roles that have ``permission`` (for queries: ``role__in=roles_with(...)``)."""
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise ValueError(f"unknown permission {permission!r}") from None


def sees_whole_organisation(membership: Membership) -> bool:
    """Unit contacts see only their own unit's paths; everybody else the whole organisation."""
    return membership.role != Role.UNIT_CONTACT
