"""Every hook in one place (polku.core.hooks): who registers with what, in which order; named
steps in order, a failing step reported while the rest still run."""

import pytest

from polku.core import hooks
from polku.core.tests.factories import WorkshopDayFactory
from polku.workshops.services import workshop_day_close

pytestmark = pytest.mark.django_db


def test_every_hook_and_its_receivers_in_their_order():
    # docs/architecture.md ("Hooks") lists the same
    registered = {
        hook.name: [(r.name, r.order, r.run.__module__) for r in hook.receivers()]
        for hook in hooks.HOOKS
    }
    assert registered == {
        "workshops.day_closed": [
            ("live.close_open_activities", 10, "polku.live.engine.closing"),
            ("reports.workshop_summary", 90, "polku.reports.services"),
        ],
        "organisations.membership_changed": [
            ("live.staff_access_changed", 50, "polku.live.engine.rooms"),
        ],
        "organisations.path_retention": [
            ("checkin_links", 50, "polku.experiments.services"),
            ("participants", 50, "polku.live.services"),
        ],
        "experiments.origins": [("juries", 50, "polku.juries.selectors")],
    }


def test_steps_run_in_order_and_a_failure_is_reported_without_stopping_the_rest():
    hook = hooks.Hook("test", "a hook of this test")
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

    hook.register(last, name="b.last", label="Viimeinen", order=90)
    hook.register(first, name="a.first", label="Ensimmäinen", order=10)
    hook.register(broken, name="c.broken", label="Rikkinäinen vaihe", order=50)
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
    hook = hooks.Hook("test", "a hook of this test")
    hook.register(len, name="a.step", label="A", order=1)
    hook.register(len, name="a.step", label="A", order=1)  # the same again: fine
    with pytest.raises(ValueError, match="already registered"):
        hook.register(print, name="a.step", label="A", order=1)


def test_notify_tells_every_receiver_even_after_one_failed():
    hook = hooks.Hook("test", "a hook of this test")
    told = []

    def broken(**kwargs):
        raise RuntimeError("boom")

    hook.register(broken, name="a.broken")
    hook.register(lambda **kwargs: told.append(kwargs), name="b.listener")
    hook.notify(organisation_id=1, user_id=2)
    assert told == [{"organisation_id": 1, "user_id": 2}]


def test_collect_answers_by_receiver_name_and_lets_an_error_through():
    hook = hooks.Hook("test", "a hook of this test")
    hook.register(lambda *, path: 3, name="b.second")
    hook.register(lambda *, path: 1, name="a.first")
    assert hook.collect(path=None) == {"a.first": 1, "b.second": 3}
    hook.register(lambda *, path: 1 / 0, name="c.broken")
    with pytest.raises(ZeroDivisionError):
        hook.collect(path=None)


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
