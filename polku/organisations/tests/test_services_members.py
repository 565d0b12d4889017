"""Removing members: role ceilings and the membership_changed hook."""

import pytest
from django.core.exceptions import ValidationError

from polku.core import hooks
from polku.core.tests.factories import MembershipFactory, OrganisationFactory
from polku.organisations.models import Membership
from polku.organisations.services import membership_remove

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("own", "target", "allowed"),
    [
        ("coordinator", "facilitator", False),
        ("coordinator", "coordinator", True),
        ("coordinator", "unit_contact", True),
        ("facilitator", "facilitator", True),
        ("viewer", "unit_contact", False),
    ],
)
def test_nobody_removes_a_role_above_their_own(own, target, allowed):
    org = OrganisationFactory()
    by = MembershipFactory(organisation=org, role=own)
    member = MembershipFactory(organisation=org, role=target)
    if allowed:
        membership_remove(membership=member, by=by)
        assert not Membership.objects.filter(pk=member.pk).exists()
        return
    with pytest.raises(ValidationError) as exc:
        membership_remove(membership=member, by=by)
    assert exc.value.messages == ["Et voi poistaa jäsentä, jonka rooli on omaasi korkeampi."]
    assert Membership.objects.filter(pk=member.pk).exists()


def test_removal_calls_the_membership_changed_hook_after_commit(
    django_capture_on_commit_callbacks,
):
    org = OrganisationFactory()
    by = MembershipFactory(organisation=org, role="facilitator")
    member = MembershipFactory(organisation=org, role="coordinator")
    calls = []

    def receiver(**kwargs):
        calls.append(kwargs)

    hooks.membership_changed.register(receiver, name="test.receiver")
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            membership_remove(membership=member, by=by)
        assert calls == []  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        hooks.membership_changed.unregister("test.receiver")
    assert calls == [{"organisation_id": org.pk, "user_id": member.user_id}]


def test_the_live_rooms_are_registered_with_the_hook():
    names = [r.run.__qualname__ for r in hooks.membership_changed.receivers()]
    assert names == ["staff_access_changed"]
