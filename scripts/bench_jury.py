#!/usr/bin/env python3
"""Benchmark the jury lottery solvers on generated instances.

Usage: ``python scripts/bench_jury.py [--quick] [--seed N] [--limit S] [--no-leximin]``.

Prints one row per instance: pool, panel, attributes, *types* (classes of interchangeable
people the solver works on), MAXIMIN and LEXIMIN time (wall-clock and the solver process's CPU
seconds, since other people may share the machine), panels in the support, the minimum
probability, the equal share k/n, the Gini coefficient of the probabilities and the number of
leximin levels.  Each solve runs in a child process with a time limit (``--limit`` seconds for
LEXIMIN, ``--maximin-limit`` for MAXIMIN); a solve that hits it is printed as ``timeout``.
The load average (``os.getloadavg``) is printed before and after.  Solver threads are limited
by ``POLKU_LOTTERY_THREADS`` (default 1).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from polku.juries.lottery.aggregation import aggregate_types
from polku.juries.lottery.fairness import gini
from polku.juries.lottery.generator import generate_instance
from polku.juries.lottery.instance import Instance
from polku.juries.lottery.solver import leximin, maximin

SIZES = [(50, 12, 4), (150, 20, 5), (300, 30, 6), (600, 40, 6), (800, 40, 8)]
QUICK = SIZES[:2]


def _solve(method: str, inst: Instance, seed: int, out: Any) -> None:
    fn = leximin if method == "leximin" else maximin
    t0, c0 = time.perf_counter(), time.process_time()
    dist = fn(inst, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    out.put(
        {
            "wall": wall,
            "cpu": cpu,
            "support": len(dist.panels),
            "min": dist.min_probability,
            "gini": gini(list(dist.marginals.values())),
            "levels": len(dist.report.levels) if dist.report else 0,
            "gap": dist.report.max_gap if dist.report else 0.0,
        }
    )


def run_limited(method: str, inst: Instance, seed: int, limit: float) -> dict[str, Any] | None:
    """Solve in a child process; ``None`` when it does not finish within ``limit`` seconds."""
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_solve, args=(method, inst, seed, out), daemon=True)
    proc.start()
    deadline = time.monotonic() + limit
    result = None
    while time.monotonic() < deadline:
        try:
            result = out.get(timeout=0.2)
            break
        except Exception:  # queue.Empty
            if not proc.is_alive() and out.empty():
                break
    if result is None and proc.is_alive():
        proc.terminate()
    proc.join(5)
    return result


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def fmt_time(res: dict[str, Any] | None) -> str:
    if res is None:
        return f"{'timeout':>15}"
    return f"{res['wall']:>7.2f} ({res['cpu']:>5.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the small instances")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-leximin", action="store_true", help="only run maximin")
    parser.add_argument("--limit", type=float, default=300.0, help="leximin time limit (s)")
    parser.add_argument("--maximin-limit", type=float, default=60.0, help="maximin limit (s)")
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}  {load()}")
    header = (
        f"{'pool':>5} {'panel':>5} {'attrs':>5} {'types':>5} {'maximin s (cpu)':>15} "
        f"{'leximin s (cpu)':>15} {'support':>7} {'min p':>8} {'k/n':>8} {'gini':>6} "
        f"{'levels':>6}"
    )
    print(header)
    print("-" * len(header))
    for pool, k, attrs in QUICK if args.quick else SIZES:
        inst = generate_instance(pool, k, attrs, seed=args.seed).instance
        n_types = aggregate_types(inst).n_types
        mx = run_limited("maximin", inst, args.seed, args.maximin_limit)
        lx = None if args.no_leximin else run_limited("leximin", inst, args.seed, args.limit)
        shown = lx or mx
        tail = (
            f"{shown['support']:>7} {shown['min']:>8.4f} {k / inst.n:>8.4f} "
            f"{shown['gini']:>6.3f} {shown['levels'] if lx else '-':>6}"
            if shown
            else f"{'-':>7} {'-':>8} {k / inst.n:>8.4f} {'-':>6} {'-':>6}"
        )
        lex = f"{'-':>15}" if args.no_leximin else fmt_time(lx)
        print(
            f"{pool:>5} {k:>5} {attrs:>5} {n_types:>5} {fmt_time(mx)} {lex} {tail}",
            flush=True,
        )
        if mx and lx and abs(mx["min"] - lx["min"]) > 1e-4:
            print(f"  !! maximin min {mx['min']:.6f} != leximin min {lx['min']:.6f}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}  {load()}")
    print("# times: wall seconds (CPU seconds of the solver process); support/min p/gini of")
    print("# the leximin distribution (maximin when leximin is skipped or timed out)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
