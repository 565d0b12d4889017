"""Test helpers for live rooms."""

from django.utils import timezone

from polku.core.tests.factories import AgendaSlotFactory, MembershipFactory, WorkshopDayFactory
from polku.organisations.models import Membership
from polku.workshops.models import WorkshopDay


def live_day(*, activities=("topics", "dot_vote"), configs=None, status=WorkshopDay.Status.LIVE):
    """A live workshop day with one agenda slot per activity key, and a facilitator."""
    day = WorkshopDayFactory(status=status, starts_at=timezone.now())
    slots = [
        AgendaSlotFactory(
            workshop_day=day,
            position=i,
            title=f"Slot {key}",
            activity_type=key,
            config=(configs or {}).get(key, {}),
        )
        for i, key in enumerate(activities)
    ]
    facilitator = MembershipFactory(
        organisation=day.path.organisation, role=Membership.Role.FACILITATOR
    )
    return day, slots, facilitator
