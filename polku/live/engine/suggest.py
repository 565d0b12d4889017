"""Grouping suggestions in a live room (mixed into Room): cards are embedded as they arrive and
"Ehdota ryhmiä" clusters them — never on the event loop.

Embedding yields to the room: while the room takes more than ``BUSY_INPUTS`` inputs a second
(a hall's burst of cards or dots), arriving cards wait in the queue, and they are embedded, a
few at a time in the embedding process, once the rate falls (docs/grouping.md). A real card
phase (150–1,000 cards in ten minutes, 0.25–2 a second) is embedded as it arrives; the burst of
a thousand phones at once is embedded after it, and "suggest" embeds what is still missing.

Suggestions go to the asking console only; nothing changes in the room until the facilitator
accepts (the activity's ``groups_accept`` moderation action, logged like any other).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from polku.grouping import services as grouping
from polku.live.engine import frames
from polku.live.engine.connection import Conn

if TYPE_CHECKING:
    from polku.live.engine.slots import Slot

log = logging.getLogger("polku.live")

#: cards per call to the embedding process (small: a batch started just before a burst ends soon)
EMBED_BATCH = 8
#: at "suggest", embed at most this many cards that arrived too fast to be embedded yet
EMBED_AT_SUGGEST = 64
#: the room is busy while it took this many inputs (of any kind) within the last second
BUSY_INPUTS = 20
#: while busy, look again after this many seconds
BUSY_WAIT = 0.5


class Suggestions:
    # provided by Room
    slots: dict[int, Slot]

    def _init_suggestions(self) -> None:
        self._embed_queue: list[str] = []
        self._embed_task: asyncio.Task | None = None
        self._suggesting = False
        self._input_times: deque[float] = deque(maxlen=BUSY_INPUTS)

    def room_busy(self, now: float | None = None) -> bool:
        """More than BUSY_INPUTS inputs within the last second."""
        times = self._input_times
        now = time.monotonic() if now is None else now
        return len(times) == times.maxlen and now - times[0] < 1.0

    def card_arrived(self, slot: Slot, text: Any) -> None:
        """Called for every applied input: counts it, and queues a new card's text for
        embedding (cheap; the work happens in the background)."""
        self._input_times.append(time.monotonic())
        if not slot.activity.groupable or not isinstance(text, str):
            return
        if not grouping.embed_on_arrival():
            return
        self._embed_queue.append(text)
        if self._embed_task is None or self._embed_task.done():
            self._embed_task = asyncio.ensure_future(self._embed_pending())

    async def _embed_pending(self) -> None:
        while self._embed_queue:
            if self.room_busy():
                await asyncio.sleep(BUSY_WAIT)
                continue
            batch, self._embed_queue = (
                self._embed_queue[:EMBED_BATCH],
                self._embed_queue[EMBED_BATCH:],
            )
            try:
                await grouping.embeddings_warm_background(texts=batch)
            except BrokenProcessPool:  # killed (or the server is stopping): words for these
                log.warning("the embedding process ended; %s cards not embedded", len(batch))
            except Exception:
                log.exception("embedding %s cards failed", len(batch))

    async def suggest(self, conn: Conn, frame: frames.Suggest) -> None:
        client_id = frame.id
        slot = self.slots.get(frame.slot)
        if slot is None or not slot.activity.groupable:
            await conn.error("invalid", _("This activity has no cards to group."), client_id)
            return
        if not grouping.grouping_enabled():
            await conn.error("off", grouping.MESSAGES["off"], client_id)
            return
        if self._suggesting:
            await conn.error("busy", _("Suggestions are being made. Wait a moment."), client_id)
            return
        level = frame.level
        cards = slot.activity.grouping_cards(slot.state)
        only = frame.cards
        if only is not None:  # "split": suggest again within one proposed group
            wanted = set(only)
            cards = [c for c in cards if c[0] in wanted]
        self._suggesting = True
        try:
            # cards that arrived in a burst and are not embedded yet: a few now (in the
            # embedding process, where the model is), the rest are grouped on their words
            missing = grouping.texts_missing(texts=[t for _, t in cards])[:EMBED_AT_SUGGEST]
            try:
                await grouping.embeddings_warm_background(texts=missing)
            except Exception:
                log.exception("embedding %s cards for suggestions failed", len(missing))
            suggestion = await grouping.run(grouping.suggestions_make, cards=cards, level=level)
        except Exception:
            log.exception("grouping suggestions for slot %s failed", slot.id)
            await conn.error("failed", _("Suggestions could not be made. Try again."), client_id)
            return
        finally:
            self._suggesting = False
        with translation.override(conn.lang):
            body = grouping.suggestion_json(suggestion, dict(cards))
        split = only is not None
        await conn.send(
            {"t": "suggestions", "id": client_id, "slot": slot.id, "split": split, **body}
        )

    def warm_all(self) -> None:
        """After (re)loading a room: embed the cards already on its walls, in the background."""
        for slot in self.slots.values():
            if slot.activity.groupable:
                for _card_id, text in slot.activity.grouping_cards(slot.state):
                    self.card_arrived(slot, text)
