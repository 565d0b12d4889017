"""Grouping suggestions in a live room (mixed into Room): cards are embedded as they arrive and
"Ehdota ryhmiä" clusters them — both in the grouping thread, never on the event loop.

Suggestions go to the asking console only; nothing changes in the room until the facilitator
accepts (the activity's ``groups_accept`` moderation action, logged like any other).
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from polku.grouping import services as grouping
from polku.live.engine import frames
from polku.live.engine.connection import Conn

if TYPE_CHECKING:
    from polku.live.engine.slots import Slot

log = logging.getLogger("polku.live")

EMBED_BATCH = 32
#: at "suggest", embed at most this many cards that arrived too fast to be embedded yet
EMBED_AT_SUGGEST = 64


class Suggestions:
    # provided by Room
    slots: dict[int, Slot]

    def _init_suggestions(self) -> None:
        self._embed_queue: list[str] = []
        self._embed_task: asyncio.Task | None = None
        self._suggesting = False

    def card_arrived(self, slot: Slot, text: Any) -> None:
        """Queue a new card's text for embedding (cheap; the work happens in the background)."""
        if not slot.activity.groupable or not isinstance(text, str):
            return
        if not grouping.embed_on_arrival():
            return
        self._embed_queue.append(text)
        if self._embed_task is None or self._embed_task.done():
            self._embed_task = asyncio.ensure_future(self._embed_pending())

    async def _embed_pending(self) -> None:
        while self._embed_queue:
            batch, self._embed_queue = (
                self._embed_queue[:EMBED_BATCH],
                self._embed_queue[EMBED_BATCH:],
            )
            try:
                await grouping.embeddings_warm_background(texts=batch)
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
            suggestion = await grouping.run(
                grouping.suggestions_make, cards=cards, level=level, embed_missing=EMBED_AT_SUGGEST
            )
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
