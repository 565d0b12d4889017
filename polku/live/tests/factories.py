"""Test helpers for live rooms."""

from django.utils import timezone

from polku.core.tests.factories import (
    AgendaSlotFactory,
    MembershipFactory,
    UnitFactory,
    WorkshopDayFactory,
)
from polku.organisations.models import Membership
from polku.workshops.models import WorkshopDay


def live_day(
    *,
    activities=("topics", "dot_vote"),
    configs=None,
    status=WorkshopDay.Status.LIVE,
    units=(),
    mode=WorkshopDay.Mode.IN_PERSON,
):
    """A live workshop day with one agenda slot per activity key, and a facilitator. With
    ``units`` (names), the path has those units; ``day.units`` lists them in that order."""
    day = WorkshopDayFactory(status=status, starts_at=timezone.now(), mode=mode)
    day.units = [UnitFactory(organisation=day.path.organisation, name=n) for n in units]
    day.path.units.set(day.units)
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
