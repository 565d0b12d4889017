"""Embedding on arrival yields to a busy room (polku.live.engine.suggest)."""

import asyncio
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from polku.grouping import services as grouping
from polku.live.engine import suggest
from polku.live.engine.suggest import BUSY_INPUTS, EMBED_BATCH, Suggestions

WALL = SimpleNamespace(activity=SimpleNamespace(groupable=True))
VOTES = SimpleNamespace(activity=SimpleNamespace(groupable=False))


def room() -> Suggestions:
    r = Suggestions()
    r._init_suggestions()
    return r


def run_alone(coro):
    """asyncio.run on a thread of its own: in the main thread it refuses to start whenever an
    earlier test of the session left an event loop running there (the order of the suite)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


def test_the_room_is_busy_with_twenty_inputs_within_one_second():
    r = room()
    r._input_times.extend([100.0 + i * 0.04 for i in range(BUSY_INPUTS - 1)])
    assert r.room_busy(now=100.8) is False  # 19 inputs
    r._input_times.append(100.8)
    assert r.room_busy(now=100.8) is True
    assert r.room_busy(now=100.99) is True
    assert r.room_busy(now=101.0) is False  # the oldest of the 20 is a second old


def test_cards_wait_while_the_room_is_busy_and_are_embedded_in_small_batches_after(
    monkeypatch, settings
):
    settings.POLKU_GROUPING_EMBED_ON_ARRIVAL = True
    batches: list[list[str]] = []

    async def fake_warm(*, texts):
        batches.append(list(texts))
        return len(texts)

    monkeypatch.setattr(grouping, "embeddings_warm_background", fake_warm)
    monkeypatch.setattr(suggest, "BUSY_WAIT", 0.01)

    async def scenario():
        r = room()
        for _ in range(BUSY_INPUTS - 10):  # dots: counted, never embedded
            r.card_arrived(VOTES, None)
        for i in range(10):  # 20 inputs within a second: busy
            r.card_arrived(WALL, f"kortti {i}")
        await asyncio.sleep(0.05)
        waited = list(batches)
        r._input_times.clear()  # the burst is over
        await asyncio.wait_for(r._embed_task, 2)
        return waited

    waited = run_alone(scenario())
    assert waited == []
    assert batches == [
        [f"kortti {i}" for i in range(EMBED_BATCH)],
        [f"kortti {i}" for i in range(EMBED_BATCH, 10)],
    ]


def test_a_quiet_room_embeds_each_card_as_it_arrives(monkeypatch, settings):
    settings.POLKU_GROUPING_EMBED_ON_ARRIVAL = True
    batches: list[list[str]] = []

    async def fake_warm(*, texts):
        batches.append(list(texts))
        return len(texts)

    monkeypatch.setattr(grouping, "embeddings_warm_background", fake_warm)

    async def scenario():
        r = room()
        r.card_arrived(WALL, "Somevastaava jokaiseen osastoon")
        await asyncio.wait_for(r._embed_task, 2)
        r.card_arrived(WALL, "Kummi uusille")
        await asyncio.wait_for(r._embed_task, 2)

    run_alone(scenario())
    assert batches == [["Somevastaava jokaiseen osastoon"], ["Kummi uusille"]]
