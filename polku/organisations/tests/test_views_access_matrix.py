"""Roles × pages: who may open what. Other tenants get 404 (existence not revealed)."""

import datetime as dt

import pytest
from django.urls import reverse

from polku.core.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UnitFactory,
    UserFactory,
)
from polku.organisations.models import Membership
from polku.paths.services import path_create

pytestmark = pytest.mark.django_db

ROLES = [
    "facilitator",
    "coordinator",
    "unit_contact",
    "unit_contact_elsewhere",
    "viewer",
    "outsider",
    "anonymous",
]


@pytest.fixture
def world():
    org = OrganisationFactory(slug="home-org")
    other = OrganisationFactory(slug="other-org")
    in_path = UnitFactory(organisation=org, code="IN")
    not_in_path = UnitFactory(organisation=org, code="OUT")
    path = path_create(
        organisation=org,
        name="P",
        starts_on=dt.date(2027, 1, 1),
        template_key="half_year",
        units=[in_path],
    )
    day = path.workshop_days.first()
    slot = day.agenda_slots.first()
    users = {}
    for role, m_role, unit in [
        ("facilitator", Membership.Role.FACILITATOR, None),
        ("coordinator", Membership.Role.COORDINATOR, None),
        ("unit_contact", Membership.Role.UNIT_CONTACT, in_path),
        ("unit_contact_elsewhere", Membership.Role.UNIT_CONTACT, not_in_path),
        ("viewer", Membership.Role.VIEWER, None),
    ]:
        users[role] = MembershipFactory(organisation=org, role=m_role, unit=unit).user
    users["outsider"] = MembershipFactory(organisation=other, role=Membership.Role.FACILITATOR).user
    users["anonymous"] = None
    return {"org": org, "path": path, "day": day, "slot": slot, "unit": in_path, "users": users}


def page_urls(w):
    o, p, d, s, u = w["org"].slug, w["path"].pk, w["day"].pk, w["slot"].pk, w["unit"].pk
    return {
        "org_detail": reverse("organisations:detail", args=[o]),
        "units": reverse("organisations:units", args=[o]),
        "unit_edit": reverse("organisations:unit_edit", args=[o, u]),
        "members": reverse("organisations:members", args=[o]),
        "path_create": reverse("paths:create", args=[o]),
        "path_detail": reverse("paths:detail", args=[o, p]),
        "path_edit": reverse("paths:edit", args=[o, p]),
        "day_create": reverse("paths:day_create", args=[o, p]),
        "day_edit": reverse("paths:day_edit", args=[o, p, d]),
        "day_ics": reverse("paths:day_ics", args=[o, p, d]),
        "slot_edit": reverse("paths:slot_edit", args=[o, p, d, s]),
        "slot_remove": reverse("paths:slot_remove", args=[o, p, d, s]),
        "meeting_settings": reverse("live:meeting_settings", args=[o]),
    }


EDITORS = {
    "facilitator": 200,
    "coordinator": 200,
    "unit_contact": 403,
    "unit_contact_elsewhere": 403,
    "viewer": 403,
}
READERS = dict.fromkeys(
    ["facilitator", "coordinator", "unit_contact", "unit_contact_elsewhere", "viewer"], 200
)
PATH_READERS = {**READERS, "unit_contact_elsewhere": 404}
PATH_EDITORS = EDITORS  # the permission check comes first: 403, not 404

EXPECTED = {
    "org_detail": READERS,
    "units": READERS,
    "unit_edit": EDITORS,
    "members": READERS,
    "path_create": EDITORS,
    "path_detail": PATH_READERS,
    "path_edit": PATH_EDITORS,
    "day_create": PATH_EDITORS,
    "day_edit": PATH_EDITORS,
    "day_ics": PATH_READERS,
    "slot_edit": PATH_EDITORS,
    "slot_remove": PATH_EDITORS,
    "meeting_settings": EDITORS,
}


@pytest.mark.parametrize("page", sorted(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_role_page_matrix(client, world, page, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    response = client.get(page_urls(world)[page])
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif role == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == EXPECTED[page][role]


def test_outsider_cannot_reach_path_by_swapping_slug(client, world):
    """A facilitator of another organisation uses their own slug with our path id: 404."""
    outsider = world["users"]["outsider"]
    client.force_login(outsider)
    other_slug = outsider.memberships.get().organisation.slug
    response = client.get(reverse("paths:detail", args=[other_slug, world["path"].pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("role", ["viewer", "unit_contact"])
def test_read_only_roles_cannot_post_changes(client, world, role):
    client.force_login(world["users"][role])
    url = reverse("paths:edit", args=[world["org"].slug, world["path"].pk])
    response = client.post(url, {"action": "delete"})
    assert response.status_code == 403
    world["path"].refresh_from_db()


def test_facilitator_without_flag_cannot_create_organisation(client):
    client.force_login(UserFactory(is_facilitator=False))
    assert client.get(reverse("organisations:create")).status_code == 403


def test_404_page_is_finnish(client, world):
    client.force_login(world["users"]["viewer"])
    response = client.get("/o/home-org/paths/999999/")
    assert response.status_code == 404
    assert "Sivua ei löytynyt" in response.content.decode()
