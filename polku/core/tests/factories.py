"""factory_boy factories shared by all apps' tests."""

import datetime as dt

import factory
from django.utils import timezone

from polku.accounts.models import User
from polku.organisations.models import Membership, Organisation, Unit
from polku.paths.models import Path
from polku.workshops.models import AgendaSlot, WorkshopDay


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Sequence(lambda n: f"User {n}")
    password = factory.django.Password("pw-for-tests")


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    organisation = factory.SubFactory(OrganisationFactory)
    code = factory.Sequence(lambda n: f"U{n}")
    name = factory.Sequence(lambda n: f"Unit {n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = Membership.Role.COORDINATOR


class PathFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Path

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Path {n}")
    starts_on = factory.LazyFunction(lambda: timezone.localdate())
    ends_on = factory.LazyAttribute(lambda o: o.starts_on + dt.timedelta(days=180))


class WorkshopDayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkshopDay

    path = factory.SubFactory(PathFactory)
    title = factory.Sequence(lambda n: f"Workshop {n}")
    starts_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + dt.timedelta(hours=6))


class AgendaSlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaSlot

    workshop_day = factory.SubFactory(WorkshopDayFactory)
    title = factory.Sequence(lambda n: f"Slot {n}")
    position = factory.Sequence(lambda n: n)
