"""Named steps that other apps register with the workshops app, run when the owner says so.

``day_closed``: the steps that run, in order, when a workshop day is ended
(``polku.workshops.services.workshop_day_close``). Each app registers its steps in its
``AppConfig.ready()``; the list of registered steps is in docs/architecture.md
("When a workshop day is closed"). A step is a plain function
``(*, day, user) -> str`` that returns one line for the facilitator (translated) and raises
if it could not do its work; a failing step is reported and logged, and the next steps still
run. Steps manage their own transactions (the live room's step must let the room's own
database thread write first) and must be safe to run again.

An explicit list instead of signals or function-local imports: the order is visible, every
step has a name that shows in the facilitator's report, the log and a traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _

log = logging.getLogger("polku.workshops")

StepFunction = Callable[..., str]


@dataclass(frozen=True)
class Step:
    name: str  # "<app>.<what>", e.g. "live.close_open_activities"
    label: Promise | str  # what the facilitator reads if the step fails
    order: int
    run: StepFunction


@dataclass(frozen=True)
class Outcome:
    name: str
    ok: bool
    message: str


class Hook:
    """An ordered, named list of steps."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._steps: dict[str, Step] = {}

    def register(
        self, *, name: str, label: Promise | str, order: int, run: StepFunction
    ) -> StepFunction:
        existing = self._steps.get(name)
        if existing is not None and existing.run is not run:
            raise ValueError(f"{self.name}: a step named {name!r} is already registered")
        self._steps[name] = Step(name=name, label=label, order=order, run=run)
        return run

    def steps(self) -> list[Step]:
        return sorted(self._steps.values(), key=lambda s: (s.order, s.name))

    def run(self, **kwargs: Any) -> list[Outcome]:
        """Run every step in order; report what each one did."""
        outcomes = []
        for step in self.steps():
            try:
                message = step.run(**kwargs)
            except Exception:
                log.exception("%s: step %s failed", self.name, step.name)
                message = _(
                    "%(step)s did not succeed. Ending the day again in the live room retries it."
                ) % {"step": step.label}
                outcomes.append(Outcome(step.name, False, str(message)))
            else:
                outcomes.append(Outcome(step.name, True, str(message)))
        return outcomes


#: run by ``workshop_day_close(day=…, user=…)`` after the day's status is saved as closed
day_closed = Hook("day_closed")
