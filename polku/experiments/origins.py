"""Where an experiment came from, as the app that created it tells it — an explicit, named hook.

An experiment can be born outside the experiments app: from an organisation jury's accepted
recommendation, say. The experiments app does not know those apps; instead each of them
registers an *origin provider* here (in its ``AppConfig.ready``), and the experiment page asks
:func:`experiment_origins` for the lines to show ("From the organisation jury: recommendation 2
…", with a link). Providers are listed in one place (:data:`PROVIDERS`) and appear in a
traceback by name; nothing is wired through signals or function-local imports.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from polku.experiments.models import Experiment


@dataclass(frozen=True)
class Origin:
    """One line on the experiment page: a translated sentence and where it links to."""

    text: str
    url: str = ""
    link_text: str = ""


#: ``provider(experiments) -> {experiment id: [Origin, ...]}``; one query per provider at most.
OriginProvider = Callable[[Sequence[Experiment]], dict[int, list[Origin]]]

PROVIDERS: list[OriginProvider] = []


def origin_provider(fn: OriginProvider) -> OriginProvider:
    """Register ``fn`` (idempotent, so a reloaded app does not register twice)."""
    if fn not in PROVIDERS:
        PROVIDERS.append(fn)
    return fn


def experiment_origins(*, experiments: Sequence[Experiment]) -> dict[int, list[Origin]]:
    """Every registered provider's origins of ``experiments``, by experiment id."""
    out: dict[int, list[Origin]] = {}
    if not experiments:
        return out
    for provider in PROVIDERS:
        for pk, origins in provider(experiments).items():
            out.setdefault(pk, []).extend(origins)
    return out
