"""Every hook of Polku, in one place: where one app must react to another's event.

The owner of an event calls its hook; other apps register a receiver in their
``AppConfig.ready()``. Receivers have names, an order and (for steps a person reads about) a
label; everything registered is listed here (``hook.receivers()``), shows by name in a
traceback and in the log — no signals, and no function-local import to dodge a cycle (this
module imports no app). docs/architecture.md ("Hooks") lists who registers what.

Three ways to call a hook, chosen by the owner:

* :meth:`Hook.notify` — tell every receiver; one failing is logged and the others still run
  (the owner's change is saved already): ``membership_changed``.
* :meth:`Hook.run` — steps a person waits for: each returns one translated line, a failing step
  is logged and reported (:class:`Outcome`), the next steps still run: ``day_closed``.
* :meth:`Hook.collect` — ask every receiver for its part, by name; an error propagates (the
  owner runs it in its transaction, or shows what it got): ``path_retention``,
  ``experiment_origins``.

    # the owner (polku/workshops/services.py)
    outcomes = hooks.day_closed.run(day=day, user=user)
    # a receiver (polku/live/apps.py)
    hooks.day_closed.register(day_close_activities, name="live.close_open_activities",
                              label=_("Saving the activities that were still open"), order=10)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

log = logging.getLogger("polku.hooks")

Receiver = Callable[..., Any]


@dataclass(frozen=True)
class Registered:
    name: str  # "<app>.<what>", e.g. "live.close_open_activities"
    order: int
    label: Promise | str  # what a person reads if the step fails
    run: Receiver


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    message: str


class Hook:
    def __init__(self, name: str, doc: str) -> None:
        self.name = name
        self.doc = doc
        self._registered: dict[str, Registered] = {}

    def register(
        self,
        run: Receiver,
        *,
        name: str | None = None,
        order: int = 50,
        label: Promise | str = "",
    ) -> Receiver:
        """Register ``run`` under ``name`` (default: its module and name). Registering the same
        function again is a no-op (an app's ``ready()`` may run twice); another function under
        a taken name is an error."""
        name = name or f"{run.__module__}.{run.__qualname__}"
        existing = self._registered.get(name)
        if existing is not None and existing.run is not run:
            raise ValueError(f"{self.name}: a receiver named {name!r} is already registered")
        self._registered[name] = Registered(name=name, order=order, label=label or name, run=run)
        return run

    def unregister(self, name: str) -> None:
        self._registered.pop(name, None)

    def receivers(self) -> list[Registered]:
        return sorted(self._registered.values(), key=lambda r: (r.order, r.name))

    def notify(self, **kwargs: Any) -> None:
        for receiver in self.receivers():
            try:
                receiver.run(**kwargs)
            except Exception:
                log.exception("hook %s: %s failed", self.name, receiver.name)

    def run(self, **kwargs: Any) -> list[Outcome]:
        outcomes = []
        for receiver in self.receivers():
            try:
                message = receiver.run(**kwargs)
            except Exception:
                log.exception("hook %s: step %s failed", self.name, receiver.name)
                message = _(
                    "%(step)s did not succeed. Ending the day again in the live room retries it."
                ) % {"step": receiver.label}
                outcomes.append(Outcome(receiver.name, False, str(message)))
            else:
                outcomes.append(Outcome(receiver.name, True, str(message)))
        return outcomes

    def collect(self, **kwargs: Any) -> dict[str, Any]:
        return {receiver.name: receiver.run(**kwargs) for receiver in self.receivers()}

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {[r.name for r in self.receivers()]}>"


# -- the hooks ---------------------------------------------------------------------------------
day_closed = Hook(
    "workshops.day_closed",
    "run by workshops.services.workshop_day_close(day=…, user=…) after the day is saved as "
    "closed; steps ``(*, day, user) -> str`` manage their own transactions and are safe to run "
    "again",
)
membership_changed = Hook(
    "organisations.membership_changed",
    "notified after the commit of every change to who may do what in an organisation "
    "(``organisation_id=…, user_id=…``): a membership removed, a role changed, an invitation "
    "accepted",
)
path_retention = Hook(
    "organisations.path_retention",
    "collected by organisations.retention when a path's retention time has passed: "
    "``(*, path) -> int`` deletes that app's participant data of the path, returns how many "
    "records went",
)
experiment_origins = Hook(
    "experiments.origins",
    "collected by the experiment page: ``(*, experiments) -> {experiment id: [Origin, …]}`` "
    "tells where experiments made outside the experiments app came from (one query at most)",
)

HOOKS = (day_closed, membership_changed, path_retention, experiment_origins)
