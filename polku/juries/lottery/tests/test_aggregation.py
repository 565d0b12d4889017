"""Type aggregation: interchangeable people are solved as one type and expanded exactly."""

from __future__ import annotations

from collections import Counter
from functools import cache

import numpy as np

from polku.juries.lottery.aggregation import aggregate_types, expand_panel
from polku.juries.lottery.generator import generate_instance
from polku.juries.lottery.instance import Instance, Person, Quota
from polku.juries.lottery.solver import Distribution, leximin, maximin

TOL = 1e-6


def assert_valid(inst: Instance, dist: Distribution) -> None:
    assert abs(sum(dist.probabilities) - 1.0) < 1e-9
    for panel in dist.panels:
        assert inst.check_panel(panel) == []
    recomputed = dict.fromkeys(dist.marginals, 0.0)
    for panel, pr in zip(dist.panels, dist.probabilities, strict=True):
        for pid in panel:
            recomputed[pid] += pr
    for pid, v in recomputed.items():
        assert abs(v - dist.marginals[pid]) < 1e-9


def many_identical() -> Instance:
    # 6 nurses, 9 doctors (identical within the group), 1 lone admin; team cap on team t0
    pool = (
        [Person(f"n{i}", {"role": "nurse"}) for i in range(6)]
        + [Person(f"d{i}", {"role": "doctor"}) for i in range(9)]
        + [Person("a0", {"role": "admin"})]
    )
    quotas = [
        Quota("role", "nurse", 2, 2),
        Quota("role", "doctor", 1, 3),
        Quota("role", "admin", 0, 1),
    ]
    return Instance(pool, 4, quotas)


def test_types_group_people_with_identical_constraint_rows() -> None:
    inst = many_identical()
    types = aggregate_types(inst)
    assert types.n_types == 3
    assert sorted(types.sizes.tolist()) == [1, 6, 9]
    assert aggregate_types(inst, merge=False).n_types == 16


def test_team_cap_splits_types_only_when_the_cap_binds() -> None:
    pool = [Person(f"p{i}", {"g": "a"}, team=f"t{i % 2}") for i in range(5)]
    # team t0 has 3 members > cap 2 (a row), team t1 has 2 (no row): two types
    assert aggregate_types(Instance(pool, 2, max_per_team=2)).n_types == 2
    assert aggregate_types(Instance(pool, 2, max_per_team=3)).n_types == 1


def test_expand_panel_keeps_every_marginal_exact() -> None:
    pool = [Person(f"a{i}", {"g": "a"}) for i in range(6)] + [
        Person(f"b{i}", {"g": "b"}) for i in range(4)
    ]
    inst = Instance(pool, 6, [Quota("g", "a", 4, 4), Quota("g", "b", 2, 2)])
    types = aggregate_types(inst)
    counts = np.zeros(types.n_types, dtype=np.int64)
    for t, members in enumerate(types.members):
        counts[t] = 4 if len(members) == 6 else 2
    pieces = expand_panel(types, counts, 0.5)
    assert abs(sum(p for _, p in pieces) - 0.5) < 1e-12
    marg: Counter[int] = Counter()
    for panel, pr in pieces:
        assert inst.check_panel([types.people[i].id for i in panel]) == []
        for i in panel:
            marg[i] += pr  # type: ignore[assignment]
    for i, person in enumerate(types.people):
        expected = 0.5 * (4 / 6 if person.id.startswith("a") else 2 / 4)
        assert abs(marg[i] - expected) < 1e-12


def test_identical_people_get_equal_probabilities() -> None:
    inst = many_identical()
    dist = leximin(inst, seed=1)
    assert_valid(inst, dist)
    assert dist.extra["types"] == 3
    nurses = [dist.marginals[f"n{i}"] for i in range(6)]
    doctors = [dist.marginals[f"d{i}"] for i in range(9)]
    assert max(nurses) - min(nurses) < 1e-9
    assert max(doctors) - min(doctors) < 1e-9
    # by hand: nurses 2/6 each; the other 2 seats are shared equally by the 9 doctors and
    # the admin (2/10 each: two doctors w.p. 0.8, a doctor and the admin w.p. 0.2)
    assert abs(nurses[0] - 1 / 3) < TOL
    assert abs(doctors[0] - 1 / 5) < TOL
    assert abs(dist.marginals["a0"] - 1 / 5) < TOL


def test_aggregated_equals_person_level_on_small_instance() -> None:
    inst = many_identical()
    agg = leximin(inst, seed=1)
    plain = leximin(inst, seed=1, aggregate=False)
    assert plain.extra["types"] == 16
    for pid, v in plain.marginals.items():
        assert abs(agg.marginals[pid] - v) < TOL


@cache
def generated() -> Instance:
    return generate_instance(50, 12, 4, seed=11).instance


def test_aggregated_equals_person_level_on_generated_instance() -> None:
    inst = generated()
    agg = leximin(inst, seed=2)
    plain = leximin(inst, seed=2, aggregate=False)
    assert_valid(inst, agg)
    assert_valid(inst, plain)
    assert agg.extra["types"] < inst.n
    assert len(agg.panels) <= inst.n + 1  # a basic solution after expansion
    for pid, v in plain.marginals.items():
        assert abs(agg.marginals[pid] - v) < 1e-5
    mx = maximin(inst, seed=2)
    assert abs(mx.min_probability - agg.min_probability) < 1e-6
