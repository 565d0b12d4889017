"""An agenda item as the live room holds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from polku.activities.registry import ActivityType
from polku.live.engine.connection import Conn

if TYPE_CHECKING:
    from polku.live.engine.groups import SlotGroups

STATUS_LABELS = {
    "pending": _("not started"),
    "open": _("open"),
    "paused": _("paused"),
    "closed": _("closed"),
}


class _Plain(ActivityType):
    """Stand-in for an agenda item whose activity type is not installed: shows the prompt."""

    key = "plain"

    @property
    def participant_template(self) -> str:
        return "live/activity_plain.html"

    presenter_template = participant_template
    console_template = participant_template


PLAIN = _Plain()


@dataclass
class Slot:
    id: int
    position: int
    title: str
    key: str
    activity: ActivityType
    config: dict[str, Any]
    state: dict[str, Any]
    status: str = "pending"  # pending, open, paused, closed
    revealed: bool = False
    timer_end: float | None = None
    opened: bool = False
    groups: SlotGroups | None = None  # one state per group (engine/groups.py)

    def info(self) -> dict[str, Any]:
        return {
            "slot": self.id,
            "key": self.activity.key,
            "title": self.title,
            "prompt": self.config.get("prompt", ""),
            "status": self.status,
            "revealed": self.revealed,
            "timer_end": self.timer_end,
        }


@dataclass
class Pending:
    row: dict[str, Any]
    key: tuple[str, str]
    seq: int
    slot_id: int | None
    conns: list[Conn] = field(default_factory=list)
