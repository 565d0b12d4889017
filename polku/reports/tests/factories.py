"""A constructed path with exact, hand-checked numbers (see test_rollup.py for the sums)."""

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from polku.core.tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    PathFactory,
    UnitFactory,
)
from polku.experiments.models import CheckIn, CheckInValue, Experiment, Measure, MeasureType
from polku.organisations.models import Membership

TODAY = dt.date(2026, 3, 1)


def checkin(experiment, slot, values: dict, *, shareable=True, helped="") -> CheckIn:
    c = CheckIn.objects.create(
        experiment=experiment, slot=slot, shareable=shareable, what_helped=helped
    )
    for measure, value in values.items():
        CheckInValue.objects.create(checkin=c, measure=measure, value=Decimal(value))
    return c


def build_world(*, org=None) -> dict:
    org = org or OrganisationFactory(slug="nuoret", name="Nuoret ry")
    a = UnitFactory(organisation=org, code="A", name="Alfa")
    b = UnitFactory(organisation=org, code="B", name="Beta")
    c = UnitFactory(organisation=org, code="C", name="Gamma")
    outside = UnitFactory(organisation=org, code="X", name="Ulkona")
    path = PathFactory(
        organisation=org,
        name="Kevään polku",
        goal="300 uutta nuorta",
        starts_on=dt.date(2026, 1, 1),
        ends_on=dt.date(2026, 6, 30),
        checkin_interval_days=21,
    )
    path.units.set([a, b, c])
    new = MeasureType.objects.create(
        path=path, name="Uudet nuoret", kind="count", unit_label="nuorta", position=0
    )
    stayed = MeasureType.objects.create(path=path, name="Jäivät mukaan", kind="count", position=1)
    satisfaction = MeasureType.objects.create(
        path=path, name="Tyytyväisyys", kind="percent", position=2
    )
    event = MeasureType.objects.create(
        path=path, name="Tapahtuma pidetty", kind="yes_no", position=3
    )

    e1 = Experiment.objects.create(
        path=path, unit=a, title="Kaveri mukaan", status="running", started_on=dt.date(2026, 1, 5)
    )
    e1_new = Measure.objects.create(experiment=e1, measure_type=new, target=10)
    e1_stayed = Measure.objects.create(experiment=e1, measure_type=stayed, target=2)
    checkin(e1, dt.date(2026, 1, 15), {e1_new: 4, e1_stayed: 1}, helped="Kaverit toivat kavereita.")
    checkin(
        e1, dt.date(2026, 2, 15), {e1_new: 7, e1_stayed: 1}, shareable=False, helped="SALAINEN oppi"
    )

    e2 = Experiment.objects.create(
        path=path,
        unit=b,
        title="Kaveri mukaan",
        status="reported",
        adopted_from=e1,
        reported_at=timezone.make_aware(dt.datetime(2026, 2, 20, 12)),
    )
    e2_new = Measure.objects.create(experiment=e2, measure_type=new, target=10)
    checkin(e2, dt.date(2026, 2, 10), {e2_new: 3})

    e3 = Experiment.objects.create(
        path=path, unit=c, title="Kaveri mukaan", status="planned", adopted_from=e1
    )
    e3_sat = Measure.objects.create(experiment=e3, measure_type=satisfaction, target=80)
    e3_event = Measure.objects.create(experiment=e3, measure_type=event, target=1)
    checkin(e3, dt.date(2026, 1, 20), {e3_sat: 60})
    checkin(e3, dt.date(2026, 2, 20), {e3_sat: 90, e3_event: 1})

    e4 = Experiment.objects.create(
        path=path,
        unit=a,
        title='=HYPERLINK("http://evil")',
        status="running",
        started_on=dt.date(2026, 1, 1),
    )

    roles = {}
    for role, m_role, unit in [
        ("facilitator", Membership.Role.FACILITATOR, None),
        ("coordinator", Membership.Role.COORDINATOR, None),
        ("unit_contact", Membership.Role.UNIT_CONTACT, a),
        ("unit_contact_elsewhere", Membership.Role.UNIT_CONTACT, outside),
        ("viewer", Membership.Role.VIEWER, None),
    ]:
        roles[role] = MembershipFactory(organisation=org, role=m_role, unit=unit).user
    return {
        "org": org,
        "path": path,
        "units": (a, b, c),
        "experiments": (e1, e2, e3, e4),
        "measure_types": (new, stayed, satisfaction, event),
        "users": roles,
    }
