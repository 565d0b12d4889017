import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from polku.core.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    UnitFactory,
    UserFactory,
)
from polku.organisations.models import Invitation, Membership
from polku.organisations.selectors import invitation_by_token
from polku.organisations.services import invitation_accept, invitation_create, organisation_create
from polku.organisations.tests.helpers import invite

pytestmark = pytest.mark.django_db


def _member(org, role="facilitator", **user):
    return MembershipFactory(organisation=org, role=role, user=UserFactory(**user)).user


def test_organisation_create_makes_creator_facilitator_and_unique_slug():
    user = UserFactory(is_facilitator=True)
    first = organisation_create(name="Nuoret Auttajat ry", created_by=user)
    second = organisation_create(name="Nuoret Auttajat ry", created_by=user)
    assert (first.slug, second.slug) == ("nuoret-auttajat-ry", "nuoret-auttajat-ry-2")
    assert Membership.objects.get(user=user, organisation=first).role == Membership.Role.FACILITATOR


def test_invitation_sends_email_with_link_through_task():
    org = OrganisationFactory(name="Sydänystävät ry")
    inviter = _member(org, name="Fanni")
    invitation, token = invite(
        organisation=org,
        email="Kalle@Example.org",
        role="coordinator",
        invited_by=inviter,
        language="fi",
    )
    assert invitation.email == "kalle@example.org"
    assert invitation.token_hash == Invitation.hash_token(token)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["kalle@example.org"]
    assert message.subject == "Kutsu: Sydänystävät ry Polussa"
    assert f"/invitation/{token}/" in message.body
    assert "Fanni kutsuu sinut" in message.body


def test_unit_contact_invitation_needs_unit():
    org = OrganisationFactory()
    with pytest.raises(ValidationError):
        invitation_create(
            organisation=org, email="a@example.org", role="unit_contact", invited_by=_member(org)
        )


def test_invitation_unit_from_other_organisation_rejected():
    org = OrganisationFactory()
    foreign_unit = UnitFactory()
    with pytest.raises(ValidationError):
        invitation_create(
            organisation=org,
            email="a@example.org",
            role="unit_contact",
            unit=foreign_unit,
            invited_by=_member(org),
        )


def test_accept_creates_membership_with_role_and_unit_once():
    org = OrganisationFactory()
    unit = UnitFactory(organisation=org)
    invitation, _token = invite(
        organisation=org,
        email="b@example.org",
        role="unit_contact",
        unit=unit,
        invited_by=_member(org),
    )
    user = UserFactory(email="b@example.org")
    membership = invitation_accept(invitation=invitation, user=user)
    assert (membership.role, membership.unit) == ("unit_contact", unit)
    invitation.refresh_from_db()
    with pytest.raises(ValidationError):
        invitation_accept(invitation=invitation, user=user)


def test_expired_invitation_cannot_be_accepted():
    org = OrganisationFactory()
    invitation, token = invite(
        organisation=org, email="c@example.org", role="viewer", invited_by=_member(org)
    )
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(days=15)):
        assert invitation_by_token(token=token).is_open is False
        with pytest.raises(ValidationError):
            invitation_accept(invitation=invitation, user=UserFactory(email="c@example.org"))
    assert not Membership.objects.filter(organisation=org, user__email="c@example.org").exists()


def test_new_invitation_revokes_the_previous_one():
    org = OrganisationFactory()
    first, _ = invite(
        organisation=org, email="d@example.org", role="viewer", invited_by=_member(org)
    )
    invitation_create(
        organisation=org, email="d@example.org", role="coordinator", invited_by=_member(org)
    )
    first.refresh_from_db()
    assert first.is_open is False


def test_existing_member_cannot_be_invited_again():
    membership = MembershipFactory()
    with pytest.raises(ValidationError):
        invitation_create(
            organisation=membership.organisation,
            email=membership.user.email,
            role="viewer",
            invited_by=_member(membership.organisation),
        )


@pytest.mark.parametrize(
    ("own", "invited", "allowed"),
    [
        ("coordinator", "facilitator", False),
        ("coordinator", "coordinator", True),
        ("coordinator", "viewer", True),
        ("unit_contact", "coordinator", False),
        ("facilitator", "facilitator", True),
    ],
)
def test_nobody_invites_to_a_role_above_their_own(own, invited, allowed):
    org = OrganisationFactory()
    inviter = _member(org, role=own)
    if allowed:
        invitation = invitation_create(
            organisation=org, email="uusi@example.org", role=invited, invited_by=inviter
        )
        assert invitation.role == invited
        return
    with pytest.raises(ValidationError) as exc:
        invitation_create(
            organisation=org, email="uusi@example.org", role=invited, invited_by=inviter
        )
    assert exc.value.messages == ["Et voi antaa omaasi korkeampaa roolia."]
    assert Invitation.objects.count() == 0


def test_an_outsider_cannot_invite_anyone():
    org = OrganisationFactory()
    with pytest.raises(ValidationError):
        invitation_create(
            organisation=org, email="uusi@example.org", role="viewer", invited_by=UserFactory()
        )
    assert Invitation.objects.count() == 0
