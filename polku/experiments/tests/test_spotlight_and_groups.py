"""The report-back spotlight round, "we want to try this" per unit feeding the copy flow, and
the experiment canvas as one group's own copy (pure reducers and the services they feed)."""

import pytest
from django.utils import translation

from polku.activities.registry import Event, GroupCopy, Rejected, registry
from polku.core.tests.factories import (
    AgendaSlotFactory,
    MembershipFactory,
    UnitFactory,
    WorkshopDayFactory,
)
from polku.experiments import selectors, services
from polku.experiments.models import AdoptionInterest, Experiment
from polku.organisations.models import Membership

report_back = registry["report_back"]
canvas = registry["experiment_canvas"]
CARDS = [{"id": str(i), "title": t, "unit": u, "results": "", "checkins": 1}
         for i, (t, u) in enumerate([("Kaveri-ilta", "Kuopio"), ("Some-vuoro", "Oulu"),
                                     ("Mentorit", "Turku")], start=1)]  # fmt: skip


@pytest.fixture(autouse=True)
def finnish():
    with translation.override("fi"):
        yield


def spot(state, cfg, **data):
    report_back.moderate(state, "spotlight", {"now": 1000.0, **data}, cfg)
    return report_back.public_snapshot(state, cfg, False)


def test_spotlight_walks_the_teams_in_turn_with_a_speaking_timer():
    cfg = report_back.get_config({})
    state = report_back.initial_state(cfg)
    report_back.on_open_data(state, cfg, {"cards": CARDS})
    snap = spot(state, cfg, minutes=3)
    assert snap["focus"]["title"] == "Kaveri-ilta"
    assert snap["turn"] == {"n": 1, "of": 3, "end": 1180.0}
    assert [c["title"] for c in snap["spot"]] == ["Kaveri-ilta"]
    assert spot(state, cfg)["turn"] == {"n": 2, "of": 3, "end": None}  # no speaking time
    assert spot(state, cfg, minutes=2)["focus"]["title"] == "Mentorit"
    with pytest.raises(Rejected) as err:
        spot(state, cfg)
    assert str(err.value.message) == "Kaikki tiimit ovat jo esitelleet."
    assert spot(state, cfg, item="2", minutes=1)["turn"] == {"n": 2, "of": 3, "end": 1060.0}
    with pytest.raises(Rejected) as err:
        spot(state, cfg, minutes=61)
    assert str(err.value.message) == "Puheajan pitää olla 0–60 minuuttia."
    report_back.moderate(state, "spotlight_end", {}, cfg)
    snap = report_back.public_snapshot(state, cfg, False)
    assert (snap["focus"], snap["spot"], snap["turn"]) == (None, [], None)
    assert state["presented"] == ["1", "2", "3"]


@pytest.mark.django_db
def test_wants_are_counted_per_unit_and_offered_first_when_copying():
    membership = MembershipFactory(role=Membership.Role.FACILITATOR)
    org = membership.organisation
    day = WorkshopDayFactory(path__organisation=org)
    kuopio, oulu, turku = (
        UnitFactory(organisation=org, name=n) for n in ("Kuopio", "Oulu", "Turku")
    )
    day.path.units.set([kuopio, oulu, turku])
    experiment = Experiment.objects.create(path=day.path, unit=kuopio, title="Kaveri-ilta")
    slot = AgendaSlotFactory(workshop_day=day, activity_type="report_back", title="Kuulumiset")
    cfg = report_back.get_config({})
    state = report_back.initial_state(cfg)
    report_back.on_open_data(state, cfg, {"cards": [{"id": str(experiment.pk), "title": "K"}]})
    for actor, unit in (("p1", oulu.pk), ("p2", oulu.pk), ("p3", turku.pk), ("p4", None),
                        ("p5", kuopio.pk), ("p6", turku.pk)):  # fmt: skip
        report_back.reduce(
            state, Event(kind="want", data={"item": str(experiment.pk)}, actor=actor, unit=unit),
            cfg,
        )  # fmt: skip
    # p6 changes their mind
    report_back.reduce(
        state, Event(kind="want", data={"item": str(experiment.pk)}, actor="p6", unit=turku.pk),
        cfg,
    )  # fmt: skip
    [result] = report_back.results(state, cfg)
    assert result.data["units"] == {str(oulu.pk): 2, str(turku.pk): 1, "": 1, str(kuopio.pk): 1}
    report_back.after_carry_forward(slot=slot, state=state, config=cfg)
    report_back.after_carry_forward(slot=slot, state=state, config=cfg)  # saving again: same
    assert sorted(
        AdoptionInterest.objects.values_list("unit__name", "count"), key=lambda r: -r[1]
    ) == [("Oulu", 2), ("Turku", 1), (None, 1)]  # Kuopio runs it already
    interest = selectors.adoption_interest(experiment=experiment)
    assert [(i.unit.name if i.unit else None, i.count) for i in interest] == [
        ("Oulu", 2), ("Turku", 1), (None, 1),
    ]  # fmt: skip
    services.experiment_adopt(original=experiment, unit=oulu)
    assert [(i.unit.name if i.unit else None, i.count) for i in
            selectors.adoption_interest(experiment=experiment)] == [("Turku", 1), (None, 1)]  # fmt: skip


@pytest.mark.django_db
def test_the_copy_page_offers_the_keenest_unit(client):
    membership = MembershipFactory(role=Membership.Role.COORDINATOR)
    org = membership.organisation
    day = WorkshopDayFactory(path__organisation=org)
    kuopio, oulu, turku = (
        UnitFactory(organisation=org, name=n) for n in ("Kuopio", "Oulu", "Turku")
    )
    day.path.units.set([kuopio, oulu, turku])
    experiment = Experiment.objects.create(path=day.path, unit=kuopio, title="Kaveri-ilta")
    slot = AgendaSlotFactory(workshop_day=day, activity_type="report_back")
    AdoptionInterest.objects.create(experiment=experiment, slot=slot, unit=turku, count=3)
    AdoptionInterest.objects.create(experiment=experiment, slot=slot, unit=oulu, count=1)
    client.force_login(membership.user)
    base = f"/o/{org.slug}/paths/{day.path.pk}/experiments/{experiment.pk}/"
    detail = client.get(base).content.decode()
    assert "Halukkaita kokeilemaan" in detail
    assert f'adopt/?unit={turku.pk}">Kopioi yksikköön Turku</a>' in detail
    page = client.get(base + "adopt/").content.decode()
    assert f'<option value="{turku.pk}" selected>Turku</option>' in page
    page = client.get(base + f"adopt/?unit={oulu.pk}").content.decode()
    assert f'<option value="{oulu.pk}" selected>Oulu</option>' in page


def test_a_groups_copy_of_the_canvas_is_one_canvas_named_after_the_group():
    base = canvas.get_config({"grouping": "unit", "measures": ["tavoitettu"]})
    cfg = {**base, "group": {"id": "g2", "name": "Turun osasto", "unit": 9}}
    state = canvas.initial_state(cfg)
    canvas.on_open(state, cfg, [{"id": "t1", "text": "Uudet jäsenet"}])
    assert state["order"] == ["g2"]
    assert state["groups"]["g2"]["name"] == "Turun osasto"
    assert state["groups"]["g2"]["fields"]["topic"]["v"] == "Uudet jäsenet"
    # every member writes without joining
    edit = {"item": "g2", "field": "title", "value": "Kaveri-ilta", "rev": 0}
    canvas.reduce(state, Event(kind="edit", data=edit, actor="a1"), cfg)
    assert canvas.personal(state, "a9", cfg) == {"group": "g2", "group_name": "Turun osasto"}
    assert canvas.public_snapshot(state, cfg, False)["single"] is True
    [result] = canvas.results(state, cfg)
    assert (result.text, result.unit, result.data["group_name"]) == (
        "Kaveri-ilta",
        9,
        "Turun osasto",
    )


@pytest.mark.django_db
def test_every_groups_canvas_becomes_an_experiment_with_its_group_name():
    from polku.activities.models import ActivityResult

    day = WorkshopDayFactory()
    slot = AgendaSlotFactory(workshop_day=day, activity_type="experiment_canvas")
    base = canvas.get_config({})
    copies = []
    for gid, name, title in (("g1", "Ryhmä 1", "Kaveri-ilta"), ("g2", "Ryhmä 2", "Some-vuoro"),
                             ("g3", "Ryhmä 3", "")):  # fmt: skip
        cfg = {**base, "group": {"id": gid, "name": name, "unit": None}}
        state = canvas.initial_state(cfg)
        canvas.on_open(state, cfg, [])
        if title:
            edit = {"item": gid, "field": "title", "value": title, "rev": 0}
            canvas.reduce(state, Event(kind="edit", data=edit, actor="a1"), cfg)
        copies.append(GroupCopy(id=gid, name=name, state=state, config=cfg))
    for _ in range(2):  # saving again updates, never duplicates
        canvas.carry_forward(
            slot=slot, state=canvas.initial_state(base), config=base, groups=copies
        )
    assert sorted(Experiment.objects.values_list("title", "who", "source_key")) == [
        ("Kaveri-ilta", "Ryhmä 1", "g1"), ("Some-vuoro", "Ryhmä 2", "g2"),
    ]  # fmt: skip
    assert sorted(ActivityResult.objects.values_list("text", "data__group_name")) == [
        ("Kaveri-ilta", "Ryhmä 1"), ("Some-vuoro", "Ryhmä 2"),
    ]  # fmt: skip
