"""Grouping suggestions over the console websocket: suggest, accept (logged, replayed), undo."""

import pytest
from django.test import override_settings

from polku.live import engine
from polku.live.models import LiveEvent
from polku.live.tests.factories import live_day
from polku.live.tests.test_consumers import console, control, phone, receive_until, run

pytestmark = pytest.mark.django_db(transaction=True)

TOPICS = [
    "Kummi uusille jäsenille", "Uusille jäsenille kummi", "Perehdytys uusille jäsenille",
    "Rahaa retkiin myyjäisillä", "Retkiin rahaa arpajaisista", "Sponsorit retkiin",
    "Kahvinkeitin rikki",
]  # fmt: skip


async def wall(day, topics, fac):
    staff = await console(day, fac.user_id)
    await control(staff, topics, "open", "c1")
    comm = await phone(day.join_code)
    await receive_until(comm, "me")
    for i, text in enumerate(TOPICS):
        await comm.send_json_to(
            {"t": "input", "id": f"t{i}", "slot": topics.pk, "kind": "card", "data": {"text": text}}
        )
        await receive_until(comm, "ack")
    return staff, comm


def test_console_gets_suggestions_accepts_two_groups_and_the_log_replays_them():
    day, (topics, _vote), fac = live_day(configs={"topics": {"max_per_person": 20}})
    seen = {}

    async def scenario():
        staff, comm = await wall(day, topics, fac)
        room = engine.rooms[day.join_code]
        ids = {c["text"]: c["id"] for c in room.slots[topics.pk].state["cards"].values()}
        await staff.send_json_to({"t": "suggest", "id": "s1", "slot": topics.pk, "level": 0})
        got = await receive_until(staff, "suggestions", timeout=20)
        seen["suggestions"] = got
        assert room.slots[topics.pk].state["themes"] == {}  # nothing changes before accepting
        groups = [
            {"name": "Uudet jäsenet" if g["name"] == "Jäsen, kummi" else g["name"],
             "cards": [c["id"] for c in g["cards"]]}
            for g in got["groups"]
        ]  # fmt: skip
        await staff.send_json_to(
            {"t": "moderate", "id": "m1", "slot": topics.pk, "action": "groups_accept",
             "data": {"groups": groups}}
        )  # fmt: skip
        assert (await receive_until(staff, "ack"))["id"] == "m1"
        snap = await receive_until(comm, "snapshot")
        while not snap["data"]["themes"]:
            snap = await receive_until(comm, "snapshot")
        seen["phone"] = snap["data"]
        seen["ids"] = ids
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    got, ids = seen["suggestions"], seen["ids"]
    assert got["slot"] == topics.pk and got["id"] == "s1" and got["split"] is False
    assert [(g["name"], [c["text"] for c in g["cards"]]) for g in got["groups"]] == [
        ("Jäsen, kummi", TOPICS[0:3]),
        ("Retki, raha", TOPICS[3:6]),
    ]
    assert got["ungrouped"] == [{"id": ids["Kahvinkeitin rikki"], "text": "Kahvinkeitin rikki"}]
    assert got["duplicates"][0]["texts"] == ["Kummi uusille jäsenille", "Uusille jäsenille kummi"]
    assert (got["level"], got["levels"], got["message"]) == (0, [-3, 3], "")
    assert [(t["name"], t["n"]) for t in seen["phone"]["themes"]] == [
        ("Uudet jäsenet", 3), ("Retki, raha", 3),
    ]  # fmt: skip
    event = LiveEvent.objects.get(kind="mod:groups_accept")
    assert [g["name"] for g in event.data["groups"]] == ["Uudet jäsenet", "Retki, raha"]

    async def replay():  # a restarted server folds the log into the same themes
        engine.rooms_reset()
        room = await engine.room_get(day.join_code)
        state = room.slots[topics.pk].state
        return {t["name"]: sorted(c["text"] for c in state["cards"].values() if c["theme"] == t["id"])
                for t in state["themes"].values()}  # fmt: skip

    from asgiref.sync import async_to_sync

    assert async_to_sync(replay)() == {
        "Uudet jäsenet": sorted(TOPICS[0:3]), "Retki, raha": sorted(TOPICS[3:6]),
    }  # fmt: skip


def test_undo_puts_the_cards_back_and_bad_frames_get_finnish_messages():
    day, (topics, _vote), fac = live_day(configs={"topics": {"max_per_person": 20}})

    async def scenario():
        staff, comm = await wall(day, topics, fac)
        room = engine.rooms[day.join_code]
        state = room.slots[topics.pk].state
        first = list(state["cards"])[:2]
        await staff.send_json_to(
            {"t": "moderate", "id": "m1", "slot": topics.pk, "action": "groups_accept",
             "data": {"groups": [{"name": "Kummit", "cards": first}]}}
        )  # fmt: skip
        await receive_until(staff, "ack")
        assert [state["cards"][c]["theme"] for c in first] == ["t1", "t1"]
        await staff.send_json_to(
            {"t": "moderate", "id": "m2", "slot": topics.pk, "action": "groups_accept_undo",
             "data": {"accept": "a1"}}
        )  # fmt: skip
        await receive_until(staff, "ack")
        assert [state["cards"][c]["theme"] for c in first] == [None, None]
        assert state["themes"] == {}
        await staff.send_json_to({"t": "suggest", "id": "s2", "slot": 999999})
        bad = await receive_until(staff, "error")
        assert bad == {"t": "error", "id": "s2", "code": "invalid",
                       "message": "Tässä toiminnossa ei ole ryhmiteltäviä kortteja."}  # fmt: skip
        await comm.send_json_to({"t": "suggest", "id": "s3", "slot": topics.pk})
        refused = await receive_until(comm, "error")
        assert (refused["id"], refused["code"]) == ("s3", "invalid")  # phones cannot ask
        await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert list(LiveEvent.objects.filter(kind__startswith="mod:").values_list("kind", flat=True)) == [
        "mod:groups_accept", "mod:groups_accept_undo",
    ]  # fmt: skip


@override_settings(POLKU_GROUPING=False)
def test_grouping_turned_off_answers_with_a_message_and_the_console_has_no_button():
    day, (topics, _vote), fac = live_day(configs={"topics": {"max_per_person": 20}})

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")
        room = engine.rooms[day.join_code]
        slot = room.slots[topics.pk]
        html = room.render_view(slot.activity.console_template, slot, "fi")
        assert "data-suggest" not in html
        assert 'data-mod="merge"' in html  # the manual tools are all there
        await staff.send_json_to({"t": "suggest", "id": "s1", "slot": topics.pk})
        off = await receive_until(staff, "error")
        assert off == {"t": "error", "id": "s1", "code": "off",
                       "message": "Ryhmittelyehdotukset on poistettu käytöstä tällä palvelimella."}  # fmt: skip
        await staff.disconnect()

    run(scenario)
