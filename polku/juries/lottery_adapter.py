"""Thin adapter between the Django app and the pure-Python lottery core (`polku.juries.lottery`).

The core (owned by the solver work) provides the instance dataclasses and the MAXIMIN/LEXIMIN
solvers. This module turns them into JSON-friendly results and adds what the web side needs:
feasibility with the smallest relaxation, rounding to a uniform lottery over M panels, the
public-draw commitment and index, verification of a published lottery file, the fairness
figures and fair replacement. Where the core gains an equivalent function, this module
delegates to it (see `_core`).

Nothing here touches the database. Randomness that is not the public draw comes from `secrets`.
"""

from __future__ import annotations

import hashlib
import json
import math
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np

from polku.juries.lottery.instance import Instance, InstanceError, Person, Quota
from polku.juries.lottery.solver import InfeasibleInstanceError, find_panel, leximin, maximin

FILE_FORMAT = "polku-jury-lottery/1"
SOFTWARE_VERSION = "polku-juries 0.1"
DEFAULT_LOTTERY_SIZE = 1000

__all__ = [
    "DEFAULT_LOTTERY_SIZE",
    "FILE_FORMAT",
    "Feasibility",
    "NeedMoreDigits",
    "build_instance",
    "canonical_json",
    "commitment_hash",
    "draw_index",
    "fairness",
    "feasibility_check",
    "replacement_candidates",
    "replacement_pick",
    "round_to_uniform",
    "solve",
    "verify_lottery_file",
]


# -- instance ---------------------------------------------------------------------------------
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


# -- feasibility ------------------------------------------------------------------------------
@dataclass
class Relaxation:
    attribute: str
    value: str
    min_from: int
    min_to: int
    max_from: int
    max_to: int


@dataclass
class Feasibility:
    feasible: bool
    problems: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    relaxations: list[Relaxation] = field(default_factory=list)
    relaxation_found: bool = True


def _simple_problems(instance: Instance) -> list[tuple[str, dict[str, Any]]]:
    """Reasons that can be named directly: codes + parameters (translated by the caller)."""
    eligible = instance.eligible
    problems: list[tuple[str, dict[str, Any]]] = []
    if instance.k > len(eligible):
        problems.append(("k_gt_pool", {"k": instance.k, "n": len(eligible)}))
    by_attr: dict[str, list[Quota]] = {}
    for q in instance.quotas:
        by_attr.setdefault(q.attribute, []).append(q)
        available = sum(1 for p in eligible if p.features.get(q.attribute) == q.value)
        if q.min > available:
            problems.append(
                (
                    "min_gt_available",
                    {
                        "attribute": q.attribute,
                        "value": q.value,
                        "min": q.min,
                        "available": available,
                    },
                )
            )
    for attribute, qs in by_attr.items():
        mins = sum(q.min for q in qs)
        if mins > instance.k:
            problems.append(("mins_gt_k", {"attribute": attribute, "sum": mins, "k": instance.k}))
        covered = {q.value for q in qs}
        free = sum(1 for p in eligible if p.features.get(attribute) not in covered)
        capacity = sum(
            min(q.max, sum(1 for p in eligible if p.features.get(attribute) == q.value)) for q in qs
        )
        if capacity + free < instance.k:
            problems.append(
                ("maxes_lt_k", {"attribute": attribute, "sum": capacity + free, "k": instance.k})
            )
    if instance.max_per_team:
        teams: dict[str, int] = {}
        no_team = 0
        for p in eligible:
            if p.team:
                teams[p.team] = teams.get(p.team, 0) + 1
            else:
                no_team += 1
        cap = sum(min(c, instance.max_per_team) for c in teams.values()) + no_team
        if cap < instance.k:
            problems.append(
                ("team_cap", {"m": instance.max_per_team, "capacity": cap, "k": instance.k})
            )
    return problems


def _smallest_relaxation(instance: Instance) -> list[Relaxation] | None:
    """Integer program: a panel with the least total widening (seats) of quota bounds."""
    people = list(instance.eligible)
    n, nq = len(people), len(instance.quotas)
    if instance.k > n:
        return None
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", 20.0)
    inf = highspy.kHighsInf
    # columns: x_0..x_{n-1} binary, then lo_q (min relaxation), hi_q (max relaxation)
    ncols = n + 2 * nq
    cost = np.concatenate([np.zeros(n), np.ones(2 * nq)])
    lower = np.zeros(ncols)
    upper = np.concatenate([np.ones(n), np.full(2 * nq, float(instance.k))])
    h.addCols(
        ncols,
        cost,
        lower,
        upper,
        0,
        np.zeros(ncols, dtype=np.int32),
        np.zeros(0, dtype=np.int32),
        np.zeros(0),
    )
    h.changeColsIntegrality(
        ncols,
        np.arange(ncols, dtype=np.int32),
        np.full(ncols, highspy.HighsVarType.kInteger.value, dtype=np.uint8),
    )

    def row(lo: float, hi: float, idx: list[int], vals: list[float]) -> None:
        h.addRow(lo, hi, len(idx), np.array(idx, dtype=np.int32), np.array(vals, dtype=np.float64))

    row(instance.k, instance.k, list(range(n)), [1.0] * n)
    for j, q in enumerate(instance.quotas):
        members = [i for i, p in enumerate(people) if p.features.get(q.attribute) == q.value]
        # sum x + lo_q >= min ; sum x - hi_q <= max
        row(q.min, inf, [*members, n + j], [1.0] * len(members) + [1.0])
        row(-inf, q.max, [*members, n + nq + j], [1.0] * len(members) + [-1.0])
    if instance.max_per_team:
        teams: dict[str, list[int]] = {}
        for i, p in enumerate(people):
            if p.team:
                teams.setdefault(p.team, []).append(i)
        for members in teams.values():
            if len(members) > instance.max_per_team:
                row(-inf, instance.max_per_team, members, [1.0] * len(members))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    x = np.asarray(h.getSolution().col_value)
    out: list[Relaxation] = []
    for j, q in enumerate(instance.quotas):
        lo, hi = round(x[n + j]), round(x[n + nq + j])
        if lo or hi:
            out.append(Relaxation(q.attribute, q.value, q.min, q.min - lo, q.max, q.max + hi))
    return out


def feasibility_check(instance: Instance) -> Feasibility:
    try:
        find_panel(instance)
    except InfeasibleInstanceError:
        pass
    else:
        return Feasibility(feasible=True)
    problems = _simple_problems(instance)
    relaxations = _smallest_relaxation(instance)
    if relaxations is not None and not problems:
        problems = [("quotas_conflict", {"labels": [(r.attribute, r.value) for r in relaxations]})]
    if not problems:
        problems = [("no_panel", {})]
    return Feasibility(
        feasible=False,
        problems=problems,
        relaxations=relaxations or [],
        relaxation_found=relaxations is not None,
    )


# -- solving ----------------------------------------------------------------------------------
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


def round_to_uniform(
    panels: Sequence[Sequence[str]], probabilities: Sequence[float], m: int = DEFAULT_LOTTERY_SIZE
) -> list[list[str]]:
    """Largest-remainder rounding of a distribution to M equally likely panel slots.

    Each panel's share moves by less than 1/M, so each person's probability moves by less than
    (panels in support)/M. The list is sorted so that the order is reproducible.
    """
    if m <= 0:
        raise ValueError("M must be positive")
    exact = [p * m for p in probabilities]
    counts = [math.floor(e) for e in exact]
    remainder = m - sum(counts)
    order = sorted(range(len(exact)), key=lambda j: (-(exact[j] - counts[j]), j))
    for j in order[:remainder]:
        counts[j] += 1
    out: list[list[str]] = []
    for panel, c in sorted(zip((sorted(p) for p in panels), counts, strict=True)):
        out.extend([list(panel)] * c)
    return out


# -- public draw ------------------------------------------------------------------------------
class NeedMoreDigits(ValueError):
    """Every chunk of the input fell into the rejected range: roll/publish more digits."""

    def __init__(self, needed: int) -> None:
        super().__init__(f"need at least {needed} more digits")
        self.needed = needed


def digits_per_chunk(m: int, kind: str) -> int:
    base = 6 if kind == "dice" else 10
    r = 1
    while base**r < m:
        r += 1
    return r


def normalise_draw_input(text: str, kind: str) -> str:
    """Keep digits only; raise ValueError for characters that are not allowed."""
    digits = "".join(ch for ch in text if not ch.isspace() and ch not in ",.-")
    allowed = "123456" if kind == "dice" else "0123456789"
    if not digits or any(ch not in allowed for ch in digits):
        raise ValueError("bad digits")
    return digits


def draw_index(digits: str, kind: str, m: int) -> tuple[int, int]:
    """Map public digits to a panel index in [0, M) by rejection sampling.

    Digits are read in chunks of r (the fewest digits with base**r >= M; dice 1–6 count as 0–5).
    A chunk value v is accepted when v < M * floor(base**r / M); the index is v mod M. The
    first accepted chunk wins, so the result is uniform. Returns (index, chunk number).
    """
    base = 6 if kind == "dice" else 10
    r = digits_per_chunk(m, kind)
    limit = m * (base**r // m)
    for chunk_no, start in enumerate(range(0, len(digits) - r + 1, r)):
        chunk = digits[start : start + r]
        value = 0
        for ch in chunk:
            value = value * base + (int(ch) - 1 if kind == "dice" else int(ch))
        if value < limit:
            return value % m, chunk_no
    needed = r - (len(digits) % r) if len(digits) % r else r
    raise NeedMoreDigits(needed)


def commitment_hash(lottery: Mapping[str, Any]) -> str:
    """SHA-256 over the canonical JSON of the lottery (pool pseudonyms, quotas, panels,
    software version) — everything except the draw itself and the commitment field."""
    body = {k: v for k, v in lottery.items() if k not in ("commitment", "draw")}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def verify_lottery_file(data: Any) -> tuple[list[str], dict[str, Any]]:
    """Re-check a published lottery file. Returns (problem codes, facts). Empty list = valid.

    Problem codes: format, commitment, panel_invalid:<i>, panel_count, no_draw, draw_input,
    need_more_digits, index, panel_mismatch.
    """
    problems: list[str] = []
    facts: dict[str, Any] = {}
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        return ["format"], facts
    try:
        instance = instance_from_dict(data["instance"])
        panels = data["panels"]
        m = int(data["m"])
    except (KeyError, TypeError, ValueError, InstanceError):
        return ["format"], facts
    facts["m"] = m
    facts["commitment"] = commitment_hash(data)
    if facts["commitment"] != data.get("commitment"):
        problems.append("commitment")
    if not isinstance(panels, list) or len(panels) != m:
        problems.append("panel_count")
        return problems, facts
    seen: set[tuple[str, ...]] = set()
    for i, panel in enumerate(panels):
        key = tuple(panel) if isinstance(panel, list) else ()
        if key in seen:
            continue
        seen.add(key)
        if not isinstance(panel, list) or instance.check_panel(panel):
            problems.append(f"panel_invalid:{i}")
    draw = data.get("draw")
    if not draw:
        problems.append("no_draw")
        return problems, facts
    try:
        digits = normalise_draw_input(str(draw["input"]), str(draw["kind"]))
        index, _chunk = draw_index(digits, str(draw["kind"]), m)
    except NeedMoreDigits:
        problems.append("need_more_digits")
        return problems, facts
    except (KeyError, ValueError):
        problems.append("draw_input")
        return problems, facts
    facts["index"] = index
    if draw.get("index") != index:
        problems.append("index")
    if sorted(draw.get("panel") or []) != sorted(panels[index]):
        problems.append("panel_mismatch")
    facts["panel"] = panels[index]
    return problems, facts


# -- fairness ---------------------------------------------------------------------------------
def gini(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    xs = sorted(values)
    n = len(xs)
    total = sum(xs)
    if total <= 0:
        return 0.0
    cum = sum((2 * (i + 1) - n - 1) * x for i, x in enumerate(xs))
    return cum / (n * total)


def fairness(
    *, marginals: Mapping[str, float], k: int, lottery: Sequence[Sequence[str]] | None = None
) -> dict[str, Any]:
    """Figures of the fairness report. With `lottery` (the M panels) the probabilities are the
    rounded ones actually used in the draw; otherwise the solver's marginals."""
    if lottery:
        counts = dict.fromkeys(marginals, 0)
        for panel in lottery:
            for pid in panel:
                counts[pid] = counts.get(pid, 0) + 1
        probs = {pid: c / len(lottery) for pid, c in counts.items()}
    else:
        probs = dict(marginals)
    n = len(probs)
    equal = k / n if n else 0.0
    values = list(probs.values())
    below = sum(1 for v in values if v < equal - 1e-6)
    return {
        "probabilities": dict(sorted(probs.items())),
        "n": n,
        "k": k,
        "equal_share": equal,
        "min": min(values) if values else 0.0,
        "max": max(values) if values else 0.0,
        "gini": gini(values),
        "share_below_equal": below / n if n else 0.0,
        "distinct_panels": len({tuple(sorted(p)) for p in lottery}) if lottery else None,
    }


# -- replacement ------------------------------------------------------------------------------
def replacement_candidates(instance: Instance, *, panel: Sequence[str], leaving: str) -> list[str]:
    """Eligible people outside the panel whose entry in place of `leaving` keeps every quota
    and the team cap satisfied."""
    staying = [pid for pid in panel if pid != leaving]
    in_panel = set(panel)
    out = []
    for person in instance.eligible:
        if person.id in in_panel:
            continue
        if not instance.check_panel([*staying, person.id]):
            out.append(person.id)
    return out


def replacement_pick(candidates: Sequence[str]) -> str | None:
    """Uniformly random among the candidates (`secrets`, not the public draw)."""
    return secrets.choice(list(candidates)) if candidates else None
