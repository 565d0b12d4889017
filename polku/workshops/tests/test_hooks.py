"""The day-closed hook: named steps in order; a failing step is reported, the rest still run."""

import pytest

from polku.core.tests.factories import WorkshopDayFactory
from polku.workshops import hooks
from polku.workshops.services import workshop_day_close

pytestmark = pytest.mark.django_db


def test_the_registered_day_closed_steps_in_their_order():
    # docs/architecture.md ("When a workshop day is closed") lists the same steps
    assert [(s.name, s.order) for s in hooks.day_closed.steps()] == [
        ("live.close_open_activities", 10),
        ("reports.workshop_summary", 90),
    ]


def test_steps_run_in_order_and_a_failure_is_reported_without_stopping_the_rest():
    hook = hooks.Hook("test")
    ran = []

    def first(*, day, user):
        ran.append("first")
        return "ensimmäinen tehty"

    def broken(*, day, user):
        ran.append("broken")
        raise RuntimeError("boom")

    def last(*, day, user):
        ran.append("last")
        return "viimeinen tehty"

    hook.register(name="b.last", label="Viimeinen", order=90, run=last)
    hook.register(name="a.first", label="Ensimmäinen", order=10, run=first)
    hook.register(name="c.broken", label="Rikkinäinen vaihe", order=50, run=broken)
    outcomes = hook.run(day=None, user=None)
    assert ran == ["first", "broken", "last"]
    assert outcomes == [
        hooks.Outcome("a.first", True, "ensimmäinen tehty"),
        hooks.Outcome(
            "c.broken",
            False,
            "Rikkinäinen vaihe ei onnistunut. Kun päätät päivän uudelleen ohjaamossa, "
            "se yritetään uudelleen.",
        ),
        hooks.Outcome("b.last", True, "viimeinen tehty"),
    ]


def test_a_step_name_is_registered_once():
    hook = hooks.Hook("test")
    hook.register(name="a.step", label="A", order=1, run=len)
    hook.register(name="a.step", label="A", order=1, run=len)  # the same again: fine
    with pytest.raises(ValueError, match="already registered"):
        hook.register(name="a.step", label="A", order=1, run=print)


def test_closing_a_day_saves_its_status_and_runs_the_steps_again_when_repeated():
    day = WorkshopDayFactory(status="live")
    first = workshop_day_close(workshop_day=day, user=None)
    day.refresh_from_db()
    assert day.status == "closed"
    again = workshop_day_close(workshop_day=day, user=None)
    assert (
        [o.name for o in first]
        == [o.name for o in again]
        == [
            "live.close_open_activities",
            "reports.workshop_summary",
        ]
    )
    assert [o.message for o in again] == [
        "Yksikään vaihe ei ollut jäänyt auki.",
        "Työpajan yhteenveto tehtiin päivän tuloksista. Tarkista se ennen jakamista.",
    ]
