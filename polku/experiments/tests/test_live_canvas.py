"""The experiment canvas over real websockets (WebsocketCommunicator): two phones in one group
edit different fields at once (both kept), the same field at once (the second is told), the
presenter sees the canvas, and closing turns the canvas into an experiment."""

import asyncio

import pytest
from channels.db import database_sync_to_async

from polku.core.tests.factories import UnitFactory
from polku.experiments.models import Experiment, MeasureType
from polku.experiments.tests.factories import MeasureTypeFactory
from polku.live.tests.conftest import _fresh_rooms  # noqa: F401  (also stubs daphne)
from polku.live.tests.factories import live_day
from polku.live.tests.test_consumers import console, control, phone, receive_until, run

pytestmark = pytest.mark.django_db(transaction=True)


async def send(comm, slot, kind, cid, **data):
    await comm.send_json_to({"t": "input", "id": cid, "slot": slot.pk, "kind": kind, "data": data})


async def snapshot_with(comm, predicate, timeout=3.0):
    while True:
        msg = await receive_until(comm, "snapshot", timeout=timeout)
        if predicate(msg):
            return msg


def test_two_phones_fill_one_canvas_and_closing_makes_an_experiment():
    day, (slot,), fac = live_day(
        activities=("experiment_canvas",),
        configs={
            "experiment_canvas": {"grouping": "unit", "measures": ["uusia nuoria tavoitettu"]}
        },
    )
    path = day.path
    oulu = UnitFactory(organisation=path.organisation, name="Oulun osasto")
    path.units.set([oulu])
    MeasureTypeFactory(path=path, name="uusia nuoria tavoitettu", kind=MeasureType.Kind.COUNT)

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, slot, "open", "c1")
        aino = await phone(day.join_code, name="Aino")
        eetu = await phone(day.join_code, name="Eetu")
        for comm, cid in ((aino, "j1"), (eetu, "j2")):
            await send(comm, slot, "join", cid, unit=oulu.pk, name="Oulun osasto")
            assert (await receive_until(comm, "ack"))["id"] == cid
            me = await receive_until(comm, "me")
            assert me["data"] == {"group": f"u{oulu.pk}", "group_name": "Oulun osasto"}
        gid = f"u{oulu.pk}"
        # Different fields at the same time: both kept.
        await send(
            aino, slot, "edit", "e1", item=gid, field="title", value="Kaveri mukaan -ilta", rev=0
        )
        await send(
            eetu,
            slot,
            "edit",
            "e2",
            item=gid,
            field="what_we_try",
            value="Jokainen tuo kaverin",
            rev=0,
        )
        assert (await receive_until(aino, "ack"))["id"] == "e1"
        assert (await receive_until(eetu, "ack"))["id"] == "e2"
        # The same field, both based on revision 1: the first wins, the second is told.
        await send(aino, slot, "edit", "e3", item=gid, field="title", value="Kaveri-ilta", rev=1)
        assert (await receive_until(aino, "ack"))["id"] == "e3"
        await send(eetu, slot, "edit", "e4", item=gid, field="title", value="Eetun nimi", rev=1)
        error = await receive_until(eetu, "error")
        assert error == {
            "t": "error", "id": "e4", "code": "conflict",
            "message": "Ryhmästäsi joku muutti tätä juuri. Katso uusi teksti ja yritä uudelleen.",
        }  # fmt: skip
        await send(eetu, slot, "target", "e5", item=f"{gid}|0", value=50, rev=0)
        assert (await receive_until(eetu, "ack"))["id"] == "e5"
        await send(
            eetu,
            slot,
            "edit",
            "e6",
            item=gid,
            field="contact_email",
            value="oulu@example.org",
            rev=0,
        )
        assert (await receive_until(eetu, "ack"))["id"] == "e6"

        snap = await snapshot_with(
            aino, lambda m: m["data"].get("groups") and m["data"]["groups"][0]["m"][0]["v"] == 50
        )
        group = snap["data"]["groups"][0]
        assert (group["id"], group["name"], group["n"], group["members"]) == (
            gid,
            "Oulun osasto",
            2,
            "Aino, Eetu",
        )
        assert group["f"]["title"] == {"v": "Kaveri-ilta", "r": 2}
        assert group["f"]["what_we_try"] == {"v": "Jokainen tuo kaverin", "r": 1}
        assert group["m"] == [
            {"id": f"{gid}|0", "name": "uusia nuoria tavoitettu", "v": 50, "r": 1}
        ]

        await control(staff, slot, "close", "c2")
        for _ in range(50):
            if await database_sync_to_async(Experiment.objects.exists)():
                break
            await asyncio.sleep(0.1)
        for comm in (aino, eetu, staff):
            await comm.disconnect()

    run(scenario)
    experiment = Experiment.objects.get()
    assert (experiment.title, experiment.what_we_try, experiment.unit, experiment.status) == (
        "Kaveri-ilta", "Jokainen tuo kaverin", oulu, "planned",
    )  # fmt: skip
    assert experiment.contact_email == "oulu@example.org"
    assert experiment.source_slot_id == slot.pk
    assert [(m.measure_type.name, int(m.target)) for m in experiment.measures.all()] == [
        ("uusia nuoria tavoitettu", 50)
    ]


def test_decide_in_the_room_starts_round_two_when_closed():
    from polku.experiments import services
    from polku.live.tests.factories import live_day as make_day

    day, (slot,), fac = make_day(activities=("decide",))
    path = day.path
    oulu = UnitFactory(organisation=path.organisation, name="Oulun osasto")
    experiment = services.experiment_create(path=path, unit=oulu, title="Kaveri-ilta")
    services.experiment_start(experiment=experiment)
    services.workshop_cards_refresh(workshop_day=day)

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, slot, "open", "c1")
        team = await phone(day.join_code, name="Aino")
        await send(team, slot, "decide", "d1", item=str(experiment.pk), decision="maybe")
        error = await receive_until(team, "error")
        assert error["message"] == "Valitse jatketaan, muokataan, levitetään tai lopetetaan."
        await send(
            team, slot, "decide", "d2", item=str(experiment.pk), decision="continue", note="Toimii"
        )
        assert (await receive_until(team, "ack"))["id"] == "d2"
        snap = await snapshot_with(team, lambda m: m["data"].get("decided") == 1)
        assert snap["data"]["counts"] == {"continue": 1, "adapt": 0, "scale": 0, "stop": 0}
        await control(staff, slot, "close", "c2")
        for _ in range(50):
            if await database_sync_to_async(Experiment.objects.filter(round_number=2).exists)():
                break
            await asyncio.sleep(0.1)
        for comm in (team, staff):
            await comm.disconnect()

    run(scenario)
    experiment.refresh_from_db()
    assert (experiment.status, experiment.decision, experiment.decision_note) == (
        "decided",
        "continue",
        "Toimii",
    )
    assert Experiment.objects.get(previous_round=experiment).round_number == 2
