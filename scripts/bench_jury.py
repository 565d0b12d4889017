#!/usr/bin/env python3
"""Benchmark the jury lottery solvers on generated instances.

Usage: ``python scripts/bench_jury.py [--quick] [--seed N]``.  Prints one row per instance:
pool, panel, attributes, maximin time, leximin time, panels in support, min probability, k/n,
gini (wall-clock and process CPU seconds are both shown, since the CPU may be shared).  Solver
threads are limited by ``POLKU_LOTTERY_THREADS`` (default 1).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from polku.juries.lottery.fairness import gini
from polku.juries.lottery.generator import generate_instance
from polku.juries.lottery.solver import leximin, maximin

SIZES = [(50, 12, 4), (150, 20, 5), (300, 30, 6), (600, 40, 6), (800, 40, 8)]
QUICK = SIZES[:2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the small instances")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-leximin", action="store_true", help="only run maximin")
    args = parser.parse_args()
    header = (
        f"{'pool':>5} {'panel':>5} {'attrs':>5} {'maximin s':>9} {'(cpu)':>7} {'leximin s':>9} {'(cpu)':>7} "
        f"{'support':>7} {'min p':>8} {'k/n':>8} {'gini':>6} {'levels':>6}"
    )
    print(header)
    print("-" * len(header))
    for pool, k, attrs in QUICK if args.quick else SIZES:
        inst = generate_instance(pool, k, attrs, seed=args.seed).instance
        t0, c0 = time.perf_counter(), time.process_time()
        mx = maximin(inst, seed=args.seed)
        t_max, c_max = time.perf_counter() - t0, time.process_time() - c0
        dist = mx
        t_lex = c_lex = float("nan")
        if not args.no_leximin:
            t0, c0 = time.perf_counter(), time.process_time()
            dist = leximin(inst, seed=args.seed)
            t_lex, c_lex = time.perf_counter() - t0, time.process_time() - c0
        levels = len(dist.report.levels) if dist.report else 0
        probs = list(dist.marginals.values())
        print(
            f"{pool:>5} {k:>5} {attrs:>5} {t_max:>9.2f} {c_max:>7.2f} {t_lex:>9.2f} {c_lex:>7.2f} {len(dist.panels):>7} "
            f"{dist.min_probability:>8.4f} {k / inst.n:>8.4f} {gini(probs):>6.3f} "
            f"{levels:>6}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
