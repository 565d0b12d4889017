import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from polku.core.tests.factories import OrganisationFactory, UnitFactory
from polku.paths.calendar import calendar_ics
from polku.paths.services import path_create, path_update

pytestmark = pytest.mark.django_db


def test_half_year_template_creates_three_days_with_agendas():
    org = OrganisationFactory()
    units = [UnitFactory(organisation=org) for _ in range(3)]
    path = path_create(
        organisation=org,
        name="Kevät",
        starts_on=dt.date(2027, 1, 15),
        template_key="half_year",
        units=units,
    )
    days = list(path.workshop_days.order_by("starts_at"))
    assert [timezone.localtime(d.starts_at).date() for d in days] == [
        dt.date(2027, 1, 15),
        dt.date(2027, 4, 16),
        dt.date(2027, 7, 16),
    ]
    assert [timezone.localtime(d.starts_at).time() for d in days] == [dt.time(9, 0)] * 3
    assert path.ends_on == dt.date(2027, 7, 17)
    assert path.followup_until == dt.date(2027, 7, 17)
    assert [s.activity_type for s in days[0].agenda_slots.all()] == [
        "poll",
        "topics",
        "influence",
        "what_works",
        "dot_vote",
        "experiment_canvas",
        "open_question",
    ]
    assert len({d.join_code for d in days}) == 3
    assert set(path.units.all()) == set(units)


@pytest.mark.parametrize(
    ("template", "days", "span"),
    [("one_day", 1, 91), ("half_year", 3, 183), ("year", 4, 365), ("blank", 0, 183)],
)
def test_templates_day_counts_and_spans(template, days, span):
    path = path_create(
        organisation=OrganisationFactory(),
        name="P",
        starts_on=dt.date(2027, 3, 1),
        template_key=template,
    )
    assert path.workshop_days.count() == days
    assert (path.ends_on - path.starts_on).days == span


def test_path_create_rejects_units_of_other_organisation():
    with pytest.raises(ValidationError):
        path_create(
            organisation=OrganisationFactory(),
            name="P",
            starts_on=dt.date(2027, 1, 1),
            units=[UnitFactory()],
        )


def test_path_update_rejects_end_before_start():
    path = path_create(organisation=OrganisationFactory(), name="P", starts_on=dt.date(2027, 1, 1))
    with pytest.raises(ValidationError):
        path_update(
            path=path,
            name="P",
            goal="",
            starts_on=dt.date(2027, 2, 1),
            ends_on=dt.date(2027, 1, 1),
            units=[],
            checkin_interval_days=21,
            followup_until=None,
        )


def test_calendar_has_one_event_per_day_with_join_link():
    path = path_create(
        organisation=OrganisationFactory(),
        name="Vuosipolku",
        starts_on=dt.date(2027, 1, 10),
        template_key="year",
    )
    ics = calendar_ics(path=path, days=path.workshop_days.all()).decode()
    assert ics.count("BEGIN:VEVENT") == 4
    assert "SUMMARY:Vuosipolku: " in ics
    first = path.workshop_days.order_by("starts_at").first()
    assert f"/j/{first.join_code}" in ics
    assert "DTSTART;TZID=Europe/Helsinki:20270110T090000" in ics
