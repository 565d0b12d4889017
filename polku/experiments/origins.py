"""Where an experiment came from, as the app that created it tells it — an explicit, named hook.

An experiment can be born outside the experiments app: from an organisation jury's accepted
recommendation, say. The experiments app does not know those apps; instead each of them
registers a receiver with the ``experiment_origins`` hook (``polku.core.hooks``, in its
``AppConfig.ready``), and the experiment page asks :func:`experiment_origins` for the lines to
show ("From the organisation jury: recommendation 2 …", with a link).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from polku.core import hooks
from polku.experiments.models import Experiment


@dataclass(frozen=True)
class Origin:
    """One line on the experiment page: a translated sentence and where it links to."""

    text: str
    url: str = ""
    link_text: str = ""


def experiment_origins(*, experiments: Sequence[Experiment]) -> dict[int, list[Origin]]:
    """Every receiver's origins of ``experiments``, by experiment id."""
    out: dict[int, list[Origin]] = {}
    if not experiments:
        return out
    for part in hooks.experiment_origins.collect(experiments=experiments).values():
        for pk, origins in part.items():
            out.setdefault(pk, []).extend(origins)
    return out
