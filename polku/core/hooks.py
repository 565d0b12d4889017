"""Explicit, named hooks: where one app must react to another's event.

The owner of the event defines the hook and calls it; other apps register a receiver in their
``AppConfig.ready()``. Everything registered is listed in one place (``hook.receivers``) and
shows in a traceback, unlike signals; no function-local import is needed to dodge a cycle.

    # polku/organisations/hooks.py (the owner)
    membership_changed = Hook("organisations.membership_changed")
    # polku/live/apps.py (a receiver)
    membership_changed.register(staff_access_changed)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("polku.hooks")


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self.receivers: list[Callable[..., Any]] = []

    def register(self, receiver: Callable[..., Any]) -> Callable[..., Any]:
        if receiver not in self.receivers:
            self.receivers.append(receiver)
        return receiver

    def call(self, **kwargs: Any) -> None:
        """Call every receiver; one failing receiver is logged and does not stop the others
        (the owner's change is already saved)."""
        for receiver in list(self.receivers):
            try:
                receiver(**kwargs)
            except Exception:
                log.exception("hook %s: %s failed", self.name, receiver.__qualname__)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {[r.__qualname__ for r in self.receivers]}>"
