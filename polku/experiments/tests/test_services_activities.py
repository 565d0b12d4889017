"""Services behind the live activities: canvases → experiments, cards, decisions, interest."""

import datetime as dt

import pytest

from polku.core.tests.factories import (
    AgendaSlotFactory,
    PathFactory,
    UnitFactory,
    WorkshopDayFactory,
)
from polku.experiments import services
from polku.experiments.models import Experiment, LogEntry
from polku.experiments.tests.factories import MeasureTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    path = PathFactory()
    oulu = UnitFactory(organisation=path.organisation, name="Oulun osasto")
    path.units.set([oulu])
    day = WorkshopDayFactory(path=path)
    return path, oulu, day


def canvas(unit, title="Kaveri-ilta", **fields):
    return {
        "group": f"u{unit.pk}",
        "unit": unit.pk,
        "fields": {"title": title, "first_step_on": "2027-03-01", "duration_weeks": "8", **fields},
        "members": ["Aino", "Eetu"],
        "targets": {"tavoitettu": 40, "Uusi mittari": 3},
    }


def test_canvas_becomes_experiment_once_and_updates_while_planned(setup):
    path, oulu, day = setup
    MeasureTypeFactory(path=path, name="Tavoitettu")
    slot = AgendaSlotFactory(workshop_day=day, activity_type="experiment_canvas")
    [made] = services.experiments_from_canvas(
        slot=slot, canvases=[canvas(oulu), canvas(oulu, title="")]
    )
    assert (made.unit, made.first_step_on, made.duration_weeks) == (oulu, dt.date(2027, 3, 1), 8)
    assert [(m.nickname, m.email) for m in made.members.all()] == [("Aino", ""), ("Eetu", "")]
    assert sorted((m.measure_type.name, int(m.target)) for m in made.measures.all()) == [
        ("Tavoitettu", 40),
        ("Uusi mittari", 3),
    ]
    services.experiments_from_canvas(slot=slot, canvases=[canvas(oulu, title="Parempi nimi")])
    assert list(Experiment.objects.values_list("title", flat=True)) == ["Parempi nimi"]
    services.experiment_start(experiment=Experiment.objects.get())
    services.experiments_from_canvas(slot=slot, canvases=[canvas(oulu, title="Ei enää")])
    assert list(Experiment.objects.values_list("title", flat=True)) == ["Parempi nimi"]


def test_report_back_and_decide_read_the_path_cards_when_they_open(setup):
    from polku.activities.registry import registry
    from polku.live.selectors import activity_open_data

    path, oulu, day = setup
    mt = MeasureTypeFactory(path=path, name="tavoitettu")
    e = services.experiment_create(path=path, unit=oulu, title="Kaveri-ilta", targets={mt: 10})
    services.checkin_submit(
        experiment=e, slot=dt.date(2027, 1, 1), values={e.measures.get().pk: 12},
        what_we_did="Ilta", what_helped="Kaverit",
    )  # fmt: skip
    rb = AgendaSlotFactory(workshop_day=day, activity_type="report_back")
    dec = AgendaSlotFactory(workshop_day=day, activity_type="decide")
    expected = [
        {"id": str(e.pk), "title": "Kaveri-ilta", "unit": "Oulun osasto", "round": 1, "did": "Ilta",
         "helped": "Kaverit", "obstacles": "", "results": "tavoitettu 12 / 10", "reached": True,
         "checkins": 1},
    ]  # fmt: skip
    for slot in (rb, dec):
        activity = registry[slot.activity_type]
        assert activity_open_data(slot_id=slot.pk, activity=activity) == {"cards": expected}
    rb.refresh_from_db()
    assert rb.config == {}  # nothing is written into the agenda beforehand


def test_decisions_apply_continue_starts_round_two_and_is_idempotent(setup):
    path, oulu, _day = setup
    e = services.experiment_create(path=path, unit=oulu, title="Kaveri-ilta")
    services.experiment_start(experiment=e)
    planned = services.experiment_create(path=path, unit=oulu, title="Ei alkanut")
    decisions = [
        {"experiment": str(e.pk), "decision": "continue", "note": "Hyvä"},
        {"experiment": str(planned.pk), "decision": "stop", "note": ""},
        {"experiment": "999999", "decision": "stop", "note": ""},
    ]
    assert services.decisions_apply(decisions=decisions, path=path) == [e]
    assert services.decisions_apply(decisions=decisions, path=path) == []
    assert Experiment.objects.get(previous_round=e).round_number == 2


def test_interest_logged_once_per_activity(setup):
    path, oulu, day = setup
    e = services.experiment_create(path=path, unit=oulu, title="Kaveri-ilta")
    slot = AgendaSlotFactory(workshop_day=day, activity_type="report_back", title="Kuulumiset")
    items = [{"experiment": str(e.pk), "want": 3, "questions": ["Mistä tila?"]}]
    services.interest_record(interests=items, slot=slot)
    services.interest_record(interests=items, slot=slot)
    assert list(e.log.filter(kind=LogEntry.Kind.NOTE).values_list("text", flat=True)) == [
        "[Kuulumiset] 3 haluaa kokeilla tätä. Kysymyksiä: Mistä tila?"
    ]


def test_the_next_workshop_day_is_not_an_ended_day_of_the_same_date(setup):
    from django.utils import timezone

    from polku.experiments.selectors import next_workshop_day

    path, _oulu, _day = setup
    now = timezone.now()
    morning = WorkshopDayFactory(
        path=path, title="Aamupäivä", starts_at=now - dt.timedelta(hours=3),
        ends_at=now + dt.timedelta(hours=1), status="closed",
    )  # fmt: skip
    afternoon = WorkshopDayFactory(
        path=path, title="Iltapäivä", starts_at=now + dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=4),
    )  # fmt: skip
    assert morning.starts_at.date() == afternoon.starts_at.date()
    assert next_workshop_day(path=path) == afternoon
