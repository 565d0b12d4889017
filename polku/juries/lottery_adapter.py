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
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from polku.juries.lottery import draw as core_draw
from polku.juries.lottery.fairness import FairnessReport, fairness_report
from polku.juries.lottery.feasibility import FeasibilityReport, check_feasibility
from polku.juries.lottery.instance import Instance, Person, Quota
from polku.juries.lottery.replacement import Replacement, find_replacement
from polku.juries.lottery.rounding import Lottery, round_distribution
from polku.juries.lottery.solver import Distribution, leximin, maximin

FILE_FORMAT = core_draw.FORMAT
SOFTWARE_VERSION = core_draw.SOFTWARE_VERSION
DEFAULT_LOTTERY_SIZE = 1000
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
    "replacement",
    "round_to_uniform",
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


def solve(instance: Instance, *, method: str) -> dict[str, Any]:
    """Run MAXIMIN or LEXIMIN and return a JSON-serialisable result."""
    fn = maximin if method == "maximin" else leximin
    dist = fn(instance)
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


def distribution_from_result(result: Mapping[str, Any], k: int) -> Distribution:
    return Distribution(
        panels=tuple(tuple(p) for p in result["panels"]),
        probabilities=tuple(result["probabilities"]),
        marginals=dict(result["marginals"]),
        unselectable=tuple(result.get("unselectable", ())),
        k=k,
    )


#: Seconds the core may spend improving the rounding with its integer program. The commit
#: happens while the facilitator waits; the largest-remainder start is kept if time runs out
#: and the resulting maximum deviation is reported either way.
ROUNDING_TIME_LIMIT = 3.0


def round_to_uniform(
    result: Mapping[str, Any], *, k: int, m: int = DEFAULT_LOTTERY_SIZE
) -> Lottery:
    """Round a stored run result to M equally likely slots (the core's deviation-minimising
    rounding)."""
    return round_distribution(
        distribution_from_result(result, k), m, time_limit=ROUNDING_TIME_LIMIT
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
    instance: Instance, slots: Sequence[Sequence[str]], *, metadata: Mapping[str, Any]
) -> dict[str, Any]:
    """The core's lottery file (with its commitment) plus Polku metadata under `polku`.

    The metadata (jury, method, rounding) is informative: the commitment covers the format,
    software version, k, team cap, pseudonymised pool, quotas and the slot list."""
    data = core_draw.build_lottery_file(instance, slots)
    data["polku"] = dict(metadata)
    return data


def lottery_file_with_draw(
    data: Mapping[str, Any], *, kind: str, digits: str, index: int
) -> dict[str, Any]:
    out = dict(data)
    out["draw"] = {"kind": kind, "input": digits}
    out["selected_index"] = index
    out["selected_panel"] = sorted(data["panels"][index])
    return out


def verify_lottery_file(data: Any) -> core_draw.VerifyResult:
    if not isinstance(data, Mapping):
        return core_draw.VerifyResult(
            False, (core_draw.VerifyProblem("malformed_file", "not a JSON object"),)
        )
    return core_draw.verify(data)


# -- fairness, replacement --------------------------------------------------------------------
def slot_marginals(slots: Sequence[Sequence[str]]) -> dict[str, float]:
    counts: dict[str, int] = {}
    for panel in slots:
        for pid in panel:
            counts[pid] = counts.get(pid, 0) + 1
    return {pid: c / len(slots) for pid, c in counts.items()} if slots else {}


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
