"""Thin adapter between the Django app and the pure-Python lottery core (`polku.juries.lottery`).

The core owns the algorithms and the published file format: feasibility with the smallest
relaxation, MAXIMIN/LEXIMIN, rounding to a uniform lottery over M slots, the public-draw
commitment, the dice/decimal index by rejection sampling, verification, fairness figures and
fair replacement. This module only converts between the database's JSON and the core's
dataclasses, and adds the Polku metadata to the lottery file.

Nothing here touches the database.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from polku.juries.lottery import draw as core_draw
from polku.juries.lottery.fairness import FairnessReport, fairness_report
from polku.juries.lottery.feasibility import FeasibilityReport, check_feasibility
from polku.juries.lottery.instance import Instance, Person, Quota
from polku.juries.lottery.replacement import Replacement, find_replacement
from polku.juries.lottery.rounding import Lottery, round_to_promise
from polku.juries.lottery.solver import Distribution, leximin, maximin

FILE_FORMAT = core_draw.FORMAT
SOFTWARE_VERSION = core_draw.SOFTWARE_VERSION
#: Smallest lottery tried; larger ones (10,000, 100,000, …) when 1,000 slots would lower the
#: smallest probability by more than PROMISE_TOLERANCE (see lottery.rounding.round_to_promise).
DEFAULT_LOTTERY_SIZE = 1000
PROMISE_TOLERANCE = 0.01
DrawError = core_draw.DrawError
NeedMoreDigits = core_draw.InsufficientEntropyError

__all__ = [
    "DEFAULT_LOTTERY_SIZE",
    "FILE_FORMAT",
    "DrawError",
    "NeedMoreDigits",
    "build_instance",
    "canonical_json",
    "digits_per_chunk",
    "draw_trace",
    "fairness",
    "feasibility_check",
    "instance_from_dict",
    "instance_to_dict",
    "lottery_file_build",
    "lottery_file_with_draw",
    "lottery_size",
    "replacement",
    "round_to_uniform",
    "slot_marginals",
    "slot_panel",
    "solve",
    "verify_lottery_file",
]


# -- instance <-> JSON ------------------------------------------------------------------------
def build_instance(
    *,
    pool: Iterable[Mapping[str, Any]],
    k: int,
    quotas: Iterable[Mapping[str, Any]],
    max_per_team: int | None = None,
) -> Instance:
    """`pool` items: {"id", "features", "team", "excluded"}; quotas: {attribute, value, min, max}."""
    people: list[Person] = []
    excluded: list[str] = []
    for item in pool:
        people.append(Person(str(item["id"]), dict(item["features"]), item.get("team") or None))
        if item.get("excluded"):
            excluded.append(str(item["id"]))
    qs = [Quota(str(q["attribute"]), str(q["value"]), int(q["min"]), int(q["max"])) for q in quotas]
    return Instance(people, k, qs, max_per_team=max_per_team or None, excluded=excluded)


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    return {
        "k": instance.k,
        "max_per_team": instance.max_per_team,
        "pool": [
            {"id": p.id, "features": dict(sorted(p.features.items())), "team": p.team or ""}
            for p in sorted(instance.people, key=lambda p: p.id)
        ],
        "excluded": sorted(instance.excluded),
        "quotas": [q.to_dict() for q in sorted(instance.quotas)],
    }


def instance_from_dict(data: Mapping[str, Any]) -> Instance:
    excluded = set(data.get("excluded", []))
    return build_instance(
        pool=[
            {
                "id": p["id"],
                "features": p["features"],
                "team": p.get("team"),
                "excluded": p["id"] in excluded,
            }
            for p in data["pool"]
        ],
        k=int(data["k"]),
        quotas=data.get("quotas", []),
        max_per_team=data.get("max_per_team"),
    )


def canonical_json(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


# -- feasibility and solving ------------------------------------------------------------------
def feasibility_check(instance: Instance) -> FeasibilityReport:
    return check_feasibility(instance)


def solve(
    instance: Instance,
    *,
    method: str,
    progress: Callable[[dict[str, int]], None] | None = None,
) -> dict[str, Any]:
    """Run MAXIMIN or LEXIMIN and return a JSON-serialisable result. ``progress`` gets
    {level, fixed, total, estimated_levels} after every LEXIMIN level."""
    cpu0 = time.process_time()
    if method == "maximin":
        dist = maximin(instance)
    else:

        def tell(level: int, fixed: int, total: int, levels: int | None) -> None:
            if progress is not None:
                progress(
                    {
                        "level": level,
                        "fixed": fixed,
                        "total": total,
                        "estimated_levels": levels or estimated_levels(level, fixed, total),
                    }
                )

        dist = leximin(instance, progress=tell)
    report = dist.report
    return {
        "method": method,
        "panels": [list(p) for p in dist.panels],
        "probabilities": list(dist.probabilities),
        "marginals": dict(sorted(dist.marginals.items())),
        "unselectable": list(dist.unselectable),
        "min_probability": dist.min_probability,
        "report": {
            "seconds": report.seconds if report else None,
            "iterations": report.iterations if report else None,
            "panels_generated": report.panels_generated if report else None,
            "max_gap": report.max_gap if report else None,
            "cpu_seconds": time.process_time() - cpu0,
            "levels": [
                {
                    "level": lv.level,
                    "value": lv.value,
                    "dual_bound": lv.dual_bound,
                    "gap": lv.gap,
                    "fixed": lv.fixed,
                }
                for lv in (report.levels if report else ())
            ],
        },
    }


def estimated_levels(level: int, fixed: int, total: int) -> int:
    """A rough guess of the number of LEXIMIN levels: the first levels settle most people, the
    later ones few each, so the people left count about logarithmically."""
    return level + math.ceil(math.log2(max(0, total - fixed) + 1))


def distribution_from_result(result: Mapping[str, Any], k: int) -> Distribution:
    return Distribution(
        panels=tuple(tuple(p) for p in result["panels"]),
        probabilities=tuple(result["probabilities"]),
        marginals=dict(result["marginals"]),
        unselectable=tuple(result.get("unselectable", ())),
        k=k,
    )


#: Seconds the core may spend improving the rounding with its integer program, per lottery
#: size tried. The commit happens while the facilitator waits; the largest-remainder start is
#: kept if time runs out, and a larger lottery is tried if the promise does not hold.
ROUNDING_TIME_LIMIT = 2.0


def round_to_uniform(result: Mapping[str, Any], *, k: int) -> Lottery:
    """Round a stored run result to the smallest lottery of equally likely slots (1,000,
    10,000, …) in which everyone keeps at least 99 % of their computed smallest probability."""
    return round_to_promise(
        distribution_from_result(result, k),
        tolerance=PROMISE_TOLERANCE,
        time_limit=ROUNDING_TIME_LIMIT,
    )


# -- public draw ------------------------------------------------------------------------------
def digits_per_chunk(m: int, kind: str) -> int:
    """How many dice (base 6) or decimal digits pick one slot of M."""
    base = 6 if kind == "dice" else 10
    r = 1
    while base**r < m:
        r += 1
    return r


def draw_trace(digits: str, kind: str, m: int) -> core_draw.DrawTrace:
    """Index by rejection sampling; raises DrawError (bad input) or NeedMoreDigits."""
    return core_draw.trace_draw(digits, m, kind)


def lottery_file_build(
    instance: Instance, lottery: Lottery, *, metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """The core's lottery file (format 2: each panel once with its number of slots, and the
    commitment) plus Polku metadata under `polku`.

    The metadata (jury, method, rounding) is informative: the commitment covers the format,
    software version, k, team cap, pseudonymised pool, quotas, the panels and their counts."""
    data = core_draw.build_lottery_file(instance, lottery.panels, counts=lottery.counts)
    data["polku"] = dict(metadata)
    return data


def lottery_size(data: Mapping[str, Any]) -> int:
    return core_draw.lottery_size(data)


def slot_panel(data: Mapping[str, Any], index: int) -> list[str]:
    return core_draw.slot_panel(data, index)


def lottery_file_with_draw(
    data: Mapping[str, Any], *, kind: str, digits: str, index: int
) -> dict[str, Any]:
    out = dict(data)
    out["draw"] = {"kind": kind, "input": digits}
    out["selected_index"] = index
    out["selected_panel"] = sorted(slot_panel(data, index))
    return out


def verify_lottery_file(data: Any) -> core_draw.VerifyResult:
    if not isinstance(data, Mapping):
        return core_draw.VerifyResult(
            False, (core_draw.VerifyProblem("malformed_file", "not a JSON object"),)
        )
    return core_draw.verify(data)


# -- fairness, replacement --------------------------------------------------------------------
def slot_marginals(data: Mapping[str, Any]) -> dict[str, float]:
    """Everyone's probability in a lottery file (either format): their slots / M."""
    panels = data["panels"]
    counts = data.get("counts") or [1] * len(panels)
    m = sum(counts)
    totals: dict[str, int] = {}
    for panel, count in zip(panels, counts, strict=True):
        for pid in panel:
            totals[pid] = totals.get(pid, 0) + count
    return {pid: c / m for pid, c in totals.items()} if m else {}


def fairness(
    instance: Instance,
    *,
    marginals: Mapping[str, float],
    n_panels: int,
    drawn_panel: Iterable[str] | None = None,
) -> FairnessReport:
    return fairness_report(instance, marginals, n_panels, drawn_panel)


def replacement(
    instance: Instance, *, panel: Sequence[str], decliner: str, alternates: Iterable[str]
) -> Replacement:
    """Uniformly random among the alternates whose entry keeps every quota and the team cap
    (`secrets.SystemRandom` in the core)."""
    return find_replacement(instance, panel, decliner, alternates=list(alternates))
