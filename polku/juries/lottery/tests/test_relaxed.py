"""LEXIMIN through the LP relaxation (``relaxed``) against the level-by-level solver."""

from __future__ import annotations

import numpy as np
import pytest

from polku.juries.lottery import solver
from polku.juries.lottery.aggregation import aggregate_types
from polku.juries.lottery.generator import generate_instance
from polku.juries.lottery.instance import Instance, Person, Quota
from polku.juries.lottery.relaxed import peel, relaxed_leximin
from polku.juries.lottery.tests.test_lottery import assert_valid_distribution


def level_by_level(inst: Instance, monkeypatch: pytest.MonkeyPatch) -> solver.Distribution:
    with monkeypatch.context() as m:
        m.setattr(solver, "USE_RELAXATION", False)
        return solver.leximin(inst, seed=1)


def odd_triangle() -> Instance:
    """Nine people, two seats, three overlapping groups: the relaxation's LEXIMIN point is not
    a mix of real panels (found by a random search over small instances)."""
    feats = ["001", "010", "110", "110", "100", "011", "100", "111", "001"]
    pool = [Person(f"p{i}", {"a": f[0], "b": f[1], "c": f[2]}) for i, f in enumerate(feats)]
    quotas = [Quota("a", "1", 1, 2), Quota("b", "1", 1, 2), Quota("c", "1", 1, 1)]
    return Instance(pool, 2, quotas)


@pytest.mark.parametrize("spec", [(50, 12, 4), (150, 20, 5)])
def test_relaxation_gives_the_level_by_level_leximin_with_a_certificate_per_level(
    spec: tuple[int, int, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inst = generate_instance(*spec, seed=1).instance
    fast = solver.leximin(inst, seed=1)
    slow = level_by_level(inst, monkeypatch)
    assert_valid_distribution(inst, fast)
    # the level-by-level solver fixes each level 1e-9 below its value, which adds up over
    # fifteen levels to a few 1e-7 at the top: agreement to 1e-6
    assert fast.sorted_marginals() == pytest.approx(slow.sorted_marginals(), abs=1e-6)
    for pid, p in slow.marginals.items():
        assert fast.marginals[pid] == pytest.approx(p, abs=1e-6)
    assert fast.report is not None and slow.report is not None
    assert [lv.value for lv in fast.report.levels] == pytest.approx(
        [lv.value for lv in slow.report.levels], abs=1e-6
    )
    assert [lv.fixed for lv in fast.report.levels] == [lv.fixed for lv in slow.report.levels]
    assert fast.report.max_gap < 1e-7
    assert all(lv.dual_bound - lv.value == pytest.approx(lv.gap) for lv in fast.report.levels)


def test_relaxed_levels_are_upper_bounds_reached_by_the_forced_seat_instance() -> None:
    # 2 a's share 1 seat, 4 b's share 1 seat: levels 1/4 (the b's) and 1/2 (the a's)
    pool = [Person("a1", {"g": "a"}), Person("a2", {"g": "a"})] + [
        Person(f"b{i}", {"g": "b"}) for i in range(4)
    ]
    inst = Instance(pool, 2, [Quota("g", "a", 1, 1), Quota("g", "b", 1, 1)])
    types = aggregate_types(inst)
    relaxed = relaxed_leximin(types, np.ones(types.n_types, dtype=bool))
    assert [round(lv.value, 9) for lv in relaxed.levels] == [0.25, 0.5]
    assert [types.sizes[list(lv.types)].sum() for lv in relaxed.levels] == [4, 2]


def test_unreachable_relaxation_falls_back_to_levels_and_keeps_the_exact_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inst = odd_triangle()
    t0 = 0.0
    cg = solver._AimedColumnGeneration(inst, 1)
    assert solver._leximin_from_relaxation(cg, None, t0) is None
    got = solver.leximin(inst, seed=1)
    assert_valid_distribution(inst, got)
    want = level_by_level(inst, monkeypatch)
    assert got.sorted_marginals() == pytest.approx(want.sorted_marginals(), abs=1e-9)
    assert got.report is not None and got.report.max_gap < 1e-7
    # the relaxation promises more than real panels can give somebody
    types = aggregate_types(inst)
    relaxed = relaxed_leximin(types, np.ones(types.n_types, dtype=bool))
    pi = {
        types.people[m].id: float(relaxed.pi[t]) for t, ms in enumerate(types.members) for m in ms
    }
    assert max(abs(pi[pid] - p) for pid, p in got.marginals.items()) > 1e-3


def test_peeled_panels_are_valid_and_their_masses_add_up() -> None:
    inst = generate_instance(150, 20, 5, seed=1).instance
    cg = solver._ColumnGeneration(inst, 1)
    relaxed = relaxed_leximin(cg.types, cg.selectable)
    peeled = peel(cg.types, relaxed.pi, cg.swap, start=cg.counts[0].astype(np.int64))
    assert len(peeled.panels) == len(peeled.masses) > 10
    assert all(m > 0 for m in peeled.masses)
    for x in peeled.panels:
        panel = [cg.types.members[t][j] for t in range(cg.t) for j in range(int(x[t]))]
        assert inst.check_panel(tuple(sorted(cg.people[i].id for i in panel))) == []
    if peeled.complete:
        assert sum(peeled.masses) == pytest.approx(1.0)


def test_progress_counts_the_levels_the_panels_reach_in_order() -> None:
    inst = generate_instance(150, 20, 5, seed=1).instance
    seen: list[tuple[int, int, int, int | None]] = []
    dist = solver.leximin(inst, seed=1, progress=lambda *a: seen.append(a))
    assert dist.report is not None
    n_levels = len(dist.report.levels)
    assert [s[0] for s in seen] == list(range(1, n_levels + 1))
    assert all(s[3] == n_levels and s[2] == inst.n for s in seen)
    settled = [s[1] for s in seen]
    assert settled == sorted(settled) and settled[-1] == inst.n
