"""Seeded generator of realistic organisation-jury instances (for tests and benchmarks).

It mimics a hospital-like staff: a *population* (the whole staff) with correlated attributes
(unit, role, shift, age band, gender, contract, site, tenure), a *volunteer pool* drawn from
it with a bias (young day-shift nurses volunteer more, night-shift staff less), and quotas
proportional to the population shares (floor/ceil of ``share * k``).  Because the pool is
biased, strict proportional quotas may be infeasible; the generator then widens the quotas by
one seat at a time (``slack``) until a valid panel exists.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ._highs import PanelModel
from .instance import Instance, Person, population_shares, proportional_quotas

__all__ = ["GeneratedInstance", "generate_instance"]

_UNITS = [
    "emergency",
    "surgery",
    "pediatrics",
    "cardiology",
    "oncology",
    "radiology",
    "administration",
    "logistics",
]
_ROLES = ["nurse", "doctor", "assistant", "technician", "admin", "cleaner"]
_SHIFTS = ["day", "evening", "night"]
_AGES = ["18-29", "30-39", "40-49", "50-59", "60+"]
_GENDERS = ["female", "male", "other"]
_CONTRACTS = ["permanent", "fixed-term"]
_SITES = ["north", "south", "central"]
_TENURES = ["<2y", "2-10y", ">10y"]

ATTRIBUTE_ORDER = ["unit", "role", "shift", "age", "gender", "contract", "site", "tenure"]


@dataclass(frozen=True)
class GeneratedInstance:
    """A generated instance together with the population it was derived from."""

    instance: Instance
    population_size: int
    shares: dict[str, dict[str, float]]
    slack: int


def _pick(rng: random.Random, values: list[str], weights: list[float]) -> str:
    return rng.choices(values, weights=weights, k=1)[0]


def _staff_member(rng: random.Random, units: list[str]) -> dict[str, str]:
    unit = rng.choice(units)
    if unit in ("administration", "logistics"):
        role = _pick(rng, _ROLES, [0.02, 0.01, 0.1, 0.2, 0.47, 0.2])
        shift = _pick(rng, _SHIFTS, [0.85, 0.1, 0.05])
    else:
        role = _pick(rng, _ROLES, [0.45, 0.15, 0.2, 0.08, 0.05, 0.07])
        shift = _pick(rng, _SHIFTS, [0.5, 0.28, 0.22])
    age = _pick(rng, _AGES, [0.2, 0.27, 0.25, 0.2, 0.08])
    gender_w = [0.8, 0.18, 0.02] if role in ("nurse", "assistant") else [0.5, 0.48, 0.02]
    gender = _pick(rng, _GENDERS, gender_w)
    contract = _pick(rng, _CONTRACTS, [0.55, 0.45] if age == "18-29" else [0.85, 0.15])
    site = _pick(rng, _SITES, [0.4, 0.35, 0.25])
    ai = _AGES.index(age)
    tenure = _pick(
        rng,
        _TENURES,
        [[0.6, 0.4, 0.0], [0.3, 0.6, 0.1], [0.15, 0.5, 0.35], [0.1, 0.35, 0.55], [0.05, 0.25, 0.7]][
            ai
        ],
    )
    return {
        "unit": unit,
        "role": role,
        "shift": shift,
        "age": age,
        "gender": gender,
        "contract": contract,
        "site": site,
        "tenure": tenure,
    }


def _volunteer_weight(f: dict[str, str]) -> float:
    w = 1.0
    if f["age"] == "18-29":
        w *= 2.5
    if f["shift"] == "day":
        w *= 1.8
    if f["shift"] == "night":
        w *= 0.6
    if f["role"] == "nurse":
        w *= 1.5
    if f["role"] == "doctor":
        w *= 0.7
    return w


def _feasible(instance: Instance) -> bool:
    import numpy as np

    model = PanelModel(instance, list(instance.eligible), time_limit=20.0)
    return model.solve(np.zeros(instance.n)) is not None


def generate_instance(
    pool_size: int,
    k: int,
    n_attributes: int = 4,
    *,
    seed: int = 0,
    slack: int = 0,
    max_per_team: int | None = None,
    n_units: int | None = None,
) -> GeneratedInstance:
    """Generate a feasible instance with ``pool_size`` volunteers and panel size ``k``.

    ``n_attributes`` (1..8) attributes carry quotas, taken in the order unit, role, shift, age,
    gender, contract, site, tenure.  Quotas start at ``slack`` and are widened until feasible.
    ``max_per_team`` defaults to ``max(2, ceil(k / 4))``; teams are unit-shift-subteam.
    """
    if not 1 <= n_attributes <= len(ATTRIBUTE_ORDER):
        raise ValueError("n_attributes must be between 1 and 8")
    if not 0 < k <= pool_size:
        raise ValueError("need 0 < k <= pool_size")
    rng = random.Random(seed)
    units = _UNITS[: n_units or max(3, min(8, pool_size // 60 + 3))]
    population_size = max(500, pool_size * 5)
    staff = [_staff_member(rng, units) for _ in range(population_size)]
    weights = [_volunteer_weight(f) for f in staff]
    # weighted sampling without replacement (Efraimidis-Spirakis keys)
    keys = sorted(range(population_size), key=lambda i: -(rng.random() ** (1.0 / weights[i])))
    chosen = keys[:pool_size]
    attrs = ATTRIBUTE_ORDER[:n_attributes]
    people = []
    for j, i in enumerate(chosen):
        f = staff[i]
        team = f"{f['unit']}-{f['shift']}-{i % 3 + 1}"
        people.append(Person(f"v{j:04d}", {a: f[a] for a in attrs}, team))
    shares = population_shares([{a: f[a] for a in attrs} for f in staff], attrs)
    cap = max_per_team if max_per_team is not None else max(2, math.ceil(k / 4))
    s = slack
    while True:
        inst = Instance(people, k, proportional_quotas(shares, k, s), max_per_team=cap)
        if _feasible(inst):
            return GeneratedInstance(inst, population_size, shares, s)
        s += 1
        if s > k:
            raise RuntimeError("could not generate a feasible instance")
