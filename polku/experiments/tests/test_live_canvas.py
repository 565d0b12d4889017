"""The experiment canvas and the decide activity over real websockets (WebsocketCommunicator):
two phones in one group edit different fields at once (both kept), the same field at once (the
second is told), everybody sees the canvas, and closing turns it into an experiment; a decision
to continue made in the room starts round 2."""

import asyncio

import pytest

from polku.core.tests.factories import UnitFactory
from polku.experiments import services
from polku.experiments.models import Experiment, MeasureType
from polku.experiments.tests.factories import MeasureTypeFactory
from polku.live import engine
from polku.live.tests.conftest import _fresh_rooms  # noqa: F401  (also stubs daphne)
from polku.live.tests.factories import live_day
from polku.live.tests.test_consumers import console, phone, run

pytestmark = pytest.mark.django_db(transaction=True)


CONFLICT_FI = (
    "Ryhmäsi jäsen tallensi tähän toisen tekstin sillä välin, kun kirjoitit. Molemmat tekstit "
    "näkyvät alla: valitse, mitä pidetään, ja tallenna uudelleen."
)


def frame(slot, kind, cid, **data):
    return {"t": "input", "id": cid, "slot": slot.pk, "kind": kind, "data": data}


def control_frame(slot, action, cid):
    return {"t": "control", "id": cid, "slot": slot.pk, "action": action, "data": {}}


async def answer(comm, sent, timeout=5.0):
    """The ack or error for `sent`. Like the real client, resend when the room says "retry"
    (the in-memory test database sometimes reports a lock under concurrent writers)."""
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["t"] not in ("ack", "error") or msg.get("id") != sent["id"]:
            continue
        if msg["t"] == "error" and msg["code"] == "retry":
            await comm.send_json_to(sent)
            continue
        return msg


async def ask(comm, sent):
    await comm.send_json_to(sent)
    return await answer(comm, sent)


async def receive(comm, t, predicate=lambda m: True, timeout=5.0):
    while True:
        msg = await comm.receive_json_from(timeout=timeout)
        if msg["t"] == t and predicate(msg):
            return msg


async def close_and_carry(staff, slot, day):
    """Close the activity and wait until the room has carried its results to the path (the
    engine runs that as a task; polling the in-memory test database meanwhile would lock it)."""
    room = engine.rooms[day.join_code]
    before = len(room.tasks)
    assert (await ask(staff, control_frame(slot, "close", "close")))["t"] == "ack"
    await asyncio.wait_for(asyncio.gather(*room.tasks[before:]), 10)


def test_two_phones_fill_one_canvas_and_closing_makes_an_experiment():
    config = {"grouping": "unit", "measures": ["uusia nuoria tavoitettu"]}
    day, (slot,), fac = live_day(
        activities=("experiment_canvas",), configs={"experiment_canvas": config}
    )
    path = day.path
    oulu = UnitFactory(organisation=path.organisation, name="Oulun osasto")
    path.units.set([oulu])
    MeasureTypeFactory(path=path, name="uusia nuoria tavoitettu", kind=MeasureType.Kind.COUNT)
    gid = f"u{oulu.pk}"

    async def scenario():
        staff = await console(day, fac.user_id)
        assert (await ask(staff, control_frame(slot, "open", "open")))["t"] == "ack"
        aino = await phone(day.join_code, name="Aino")
        eetu = await phone(day.join_code, name="Eetu")
        for comm, cid in ((aino, "j1"), (eetu, "j2")):
            ack = await ask(comm, frame(slot, "join", cid, unit=oulu.pk, name="Oulun osasto"))
            assert ack["t"] == "ack"
            me = await receive(comm, "me")
            assert me["data"] == {"group": gid, "group_name": "Oulun osasto"}
        # Different fields at the same time: both kept.
        e1 = frame(slot, "edit", "e1", item=gid, field="title", value="Kaveri mukaan -ilta", rev=0)
        e2 = frame(
            slot, "edit", "e2", item=gid, field="what_we_try", value="Jokainen tuo kaverin", rev=0
        )
        await aino.send_json_to(e1)
        await eetu.send_json_to(e2)
        assert (await answer(aino, e1))["t"] == "ack"
        assert (await answer(eetu, e2))["t"] == "ack"
        # The same field, both based on revision 1: the first wins, the second is told.
        e3 = frame(slot, "edit", "e3", item=gid, field="title", value="Kaveri-ilta", rev=1)
        assert (await ask(aino, e3))["t"] == "ack"
        e4 = frame(slot, "edit", "e4", item=gid, field="title", value="Eetun nimi", rev=1)
        assert await ask(eetu, e4) == {
            "t": "error", "id": "e4", "code": "conflict",
            "message": CONFLICT_FI,
            "data": {"item": gid, "field": "title", "rev": 2, "saved": "Kaveri-ilta"},
        }  # fmt: skip
        e5 = frame(slot, "target", "e5", item=f"{gid}|0", value=50, rev=0)
        assert (await ask(eetu, e5))["t"] == "ack"
        e6 = frame(
            slot, "edit", "e6", item=gid, field="contact_email", value="oulu@example.org", rev=0
        )
        assert (await ask(eetu, e6))["t"] == "ack"

        snap = await receive(
            aino,
            "snapshot",
            lambda m: bool(m["data"].get("groups")) and m["data"]["groups"][0]["m"][0]["v"] == 50,
        )
        group = snap["data"]["groups"][0]
        assert (group["id"], group["name"], group["n"], group["members"]) == (
            gid, "Oulun osasto", 2, "Aino, Eetu",
        )  # fmt: skip
        assert group["f"]["title"] == {"v": "Kaveri-ilta", "r": 2}
        assert group["f"]["what_we_try"] == {"v": "Jokainen tuo kaverin", "r": 1}
        assert group["m"] == [
            {"id": f"{gid}|0", "name": "uusia nuoria tavoitettu", "v": 50, "r": 1}
        ]
        await close_and_carry(staff, slot, day)
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
    assert [m.nickname for m in experiment.members.all()] == ["Aino", "Eetu"]


def test_decide_in_the_room_starts_round_two_when_closed():
    day, (slot,), fac = live_day(activities=("decide",))
    path = day.path
    oulu = UnitFactory(organisation=path.organisation, name="Oulun osasto")
    experiment = services.experiment_create(path=path, unit=oulu, title="Kaveri-ilta")
    services.experiment_start(experiment=experiment)  # the decide activity reads it on open

    async def scenario():
        staff = await console(day, fac.user_id)
        assert (await ask(staff, control_frame(slot, "open", "open")))["t"] == "ack"
        team = await phone(day.join_code, name="Aino")
        bad = await ask(team, frame(slot, "decide", "d1", item=str(experiment.pk), decision="x"))
        assert bad["message"] == "Valitse jatketaan, muokataan, levitetään tai lopetetaan."
        d2 = frame(
            slot, "decide", "d2", item=str(experiment.pk), decision="continue", note="Toimii"
        )
        assert (await ask(team, d2))["t"] == "ack"
        snap = await receive(team, "snapshot", lambda m: m["data"].get("decided") == 1)
        assert snap["data"]["counts"] == {"continue": 1, "adapt": 0, "scale": 0, "stop": 0}
        await close_and_carry(staff, slot, day)
        for comm in (team, staff):
            await comm.disconnect()

    run(scenario)
    experiment.refresh_from_db()
    assert (experiment.status, experiment.decision, experiment.decision_note) == (
        "decided", "continue", "Toimii",
    )  # fmt: skip
    assert Experiment.objects.get(previous_round=experiment).round_number == 2


def test_a_save_long_after_a_groupmates_save_is_merged_or_shown_never_overwritten():
    """Eetu's phone held revision 0 while Aino saved revision 1; he saves after the room has
    written her save and sent the new text to every phone (far beyond the ~0.1 s batch): his
    save is refused with both texts, in Swedish for his Swedish phone. An addition to the text
    they both saw is merged; nothing is ever silently lost."""
    day, (slot,), fac = live_day(
        activities=("experiment_canvas",), configs={"experiment_canvas": {"grouping": "unit"}}
    )
    oulu = UnitFactory(organisation=day.path.organisation, name="Oulun osasto")
    day.path.units.set([oulu])
    gid = f"u{oulu.pk}"

    def texts(m):
        groups = m["data"].get("groups") or []
        return groups[0]["f"]["what_we_try"] if groups else None

    async def scenario():
        staff = await console(day, fac.user_id)
        assert (await ask(staff, control_frame(slot, "open", "open")))["t"] == "ack"
        aino = await phone(day.join_code, name="Aino")
        eetu = await phone(day.join_code, name="Eetu", lang="sv")
        for comm, cid in ((aino, "j1"), (eetu, "j2")):
            sent = frame(slot, "join", cid, unit=oulu.pk, name="Oulun osasto")
            assert (await ask(comm, sent))["t"] == "ack"
        a1 = frame(slot, "edit", "a1", item=gid, field="what_we_try", rev=0, base="",
                   value="Jokainen tuo kaverin.")  # fmt: skip
        assert (await ask(aino, a1))["t"] == "ack"
        await receive(eetu, "snapshot", lambda m: (texts(m) or {}).get("r") == 1)
        e1 = frame(slot, "edit", "e1", item=gid, field="what_we_try", rev=0, base="",
                   value="Somekampanja nuorille.")  # fmt: skip
        assert await ask(eetu, e1) == {
            "t": "error", "id": "e1", "code": "conflict",
            "message": "Någon i din grupp sparade en annan text här medan du skrev. Båda texterna "
            "syns nedan: välj vad som ska behållas och spara igen.",
            "data": {"item": gid, "field": "what_we_try", "rev": 1,
                     "saved": "Jokainen tuo kaverin."},
        }  # fmt: skip
        # Both add to the text they saw (revision 1); Eetu's addition lands after Aino's.
        a2 = frame(slot, "edit", "a2", item=gid, field="what_we_try", rev=1,
                   base="Jokainen tuo kaverin.", value="Jokainen tuo kaverin. Kahvit tarjotaan.")  # fmt: skip
        assert (await ask(aino, a2))["t"] == "ack"
        await receive(eetu, "snapshot", lambda m: (texts(m) or {}).get("r") == 2)
        e2 = frame(slot, "edit", "e2", item=gid, field="what_we_try", rev=1,
                   base="Jokainen tuo kaverin.",
                   value="Jokainen tuo kaverin. Somekampanja nuorille.")  # fmt: skip
        assert (await ask(eetu, e2))["t"] == "ack"
        snap = await receive(aino, "snapshot", lambda m: (texts(m) or {}).get("r") == 3)
        assert texts(snap) == {
            "v": "Jokainen tuo kaverin. Kahvit tarjotaan. Somekampanja nuorille.", "r": 3,
        }  # fmt: skip
        for comm in (aino, eetu, staff):
            await comm.disconnect()

    run(scenario)
