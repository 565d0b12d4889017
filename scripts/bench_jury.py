#!/usr/bin/env python3
"""Benchmark the jury lottery solvers on generated instances.

Usage: ``python scripts/bench_jury.py [--quick] [--seed N] [--limit S] [--no-leximin]``.

Prints one row per instance: pool, panel, attributes, *types* (classes of interchangeable
people the solver works on), MAXIMIN and LEXIMIN time (wall-clock and the solver process's CPU
seconds, since other people may share the machine), panels in the support, the minimum
probability, the smallest probability of the *published* lottery (the slots actually committed
and drawn, :func:`~polku.juries.lottery.rounding.round_to_promise`) and its number of slots,
the equal share k/n, the Gini coefficient of the probabilities, the number of leximin levels,
the largest gap to the dual bound (the optimality certificate), and the *baselines*: MAXIMIN
with numpy's BLAS threads left unlimited, as before the BLAS limit (always), and LEXIMIN level
by level without the relaxation (``POLKU_LOTTERY_RELAXATION=0``, with ``--baseline``).  Each solve runs in a child process with a time limit (``--limit`` seconds for
LEXIMIN, ``--maximin-limit`` for MAXIMIN); a solve that hits it is printed as ``timeout``
(``failed`` if the child died).  ``--pool N`` runs only the instance with that pool size.
The load average (``os.getloadavg``) is printed before and after.  Solver threads are limited
by ``POLKU_LOTTERY_THREADS`` (default 1), BLAS threads by ``POLKU_LOTTERY_BLAS_THREADS``.
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

from polku.juries.lottery import solver
from polku.juries.lottery.aggregation import aggregate_types
from polku.juries.lottery.fairness import gini
from polku.juries.lottery.generator import generate_instance
from polku.juries.lottery.rounding import round_to_promise
from polku.juries.lottery.solver import leximin, maximin

SIZES = [(50, 12, 4), (150, 20, 5), (300, 30, 6), (600, 40, 6), (800, 40, 8)]
QUICK = SIZES[:2]


def _solve(method: str, spec: tuple[int, int, int], seed: int, out: Any) -> None:
    if method == "leximin-baseline":
        solver.USE_RELAXATION = False  # level by level, as before the relaxation
        method = "leximin"
    elif method.endswith("-baseline"):
        os.environ["POLKU_LOTTERY_BLAS_THREADS"] = "0"  # the solver before the BLAS limit
        method = method.removesuffix("-baseline")
    inst = generate_instance(*spec, seed=seed).instance
    fn = leximin if method == "leximin" else maximin
    t0, c0 = time.perf_counter(), time.process_time()
    dist = fn(inst, seed=seed)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    published = round_to_promise(dist, time_limit=2.0) if method == "leximin" else None
    out.put(
        {
            "wall": wall,
            "cpu": cpu,
            "support": len(dist.panels),
            "min": dist.min_probability,
            "gini": gini(list(dist.marginals.values())),
            "levels": len(dist.report.levels) if dist.report else 0,
            "gap": dist.report.max_gap if dist.report else 0.0,
            "published_min": published.min_probability if published else None,
            "slots": published.m if published else None,
        }
    )


def run_limited(
    method: str, spec: tuple[int, int, int], seed: int, limit: float
) -> dict[str, Any] | str:
    """Solve in a fresh child process (``spawn``: HiGHS threads do not survive ``fork``).

    Returns the figures, or ``"timeout"`` / ``"failed"``.  The instance is regenerated in the
    child from the same seed; the timer starts in the child, after generation.
    """
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    proc = ctx.Process(target=_solve, args=(method, spec, seed, out), daemon=True)
    proc.start()
    deadline = time.monotonic() + limit + 30.0  # + start-up and instance generation
    result = None
    while time.monotonic() < deadline:
        try:
            result = out.get(timeout=0.2)
            break
        except Exception:  # queue.Empty
            if not proc.is_alive() and out.empty():
                break
    if result is None:
        if proc.is_alive():
            proc.terminate()
            proc.join(5)
            return "timeout"
        proc.join(5)
        return "failed"
    proc.join(5)
    return result


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def fmt_time(res: dict[str, Any] | str | None) -> str:
    if isinstance(res, str):
        return f"{res:>15}"
    return f"{res['wall']:>7.2f} ({res['cpu']:>5.1f})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="only the small instances")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-leximin", action="store_true", help="only run maximin")
    parser.add_argument("--limit", type=float, default=300.0, help="leximin time limit (s)")
    parser.add_argument("--maximin-limit", type=float, default=60.0, help="maximin limit (s)")
    parser.add_argument("--pool", type=int, default=None, help="only this pool size")
    parser.add_argument(
        "--baseline",
        action="store_true",
        help="also run LEXIMIN level by level, as before the relaxation (MAXIMIN's baseline, "
        "BLAS threads unlimited, always runs)",
    )
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}  {load()}")
    header = (
        f"{'pool':>5} {'panel':>5} {'attrs':>5} {'types':>5} {'maximin s (cpu)':>15} "
        f"{'leximin s (cpu)':>15} {'support':>7} {'min p':>8} {'published':>9} {'slots':>7} "
        f"{'k/n':>8} {'gini':>6} {'levels':>6} {'gap':>8} "
        f"{'base maximin':>15} {'base leximin':>15}"
    )
    print(header)
    print("-" * len(header))
    sizes = QUICK if args.quick else SIZES
    if args.pool is not None:
        sizes = [s for s in SIZES if s[0] == args.pool]
    for pool, k, attrs in sizes:
        inst = generate_instance(pool, k, attrs, seed=args.seed).instance
        n_types = aggregate_types(inst).n_types
        spec = (pool, k, attrs)
        mx_run = run_limited("maximin", spec, args.seed, args.maximin_limit)
        lx_run = None if args.no_leximin else run_limited("leximin", spec, args.seed, args.limit)
        base_mx = run_limited("maximin-baseline", spec, args.seed, args.maximin_limit)
        base_lx = (
            run_limited("leximin-baseline", spec, args.seed, args.limit)
            if args.baseline and not args.no_leximin
            else None
        )
        mx = mx_run if isinstance(mx_run, dict) else None
        lx = lx_run if isinstance(lx_run, dict) else None
        shown = lx or mx
        published = f"{lx['published_min']:>9.4f} {lx['slots']:>7}" if lx else f"{'-':>9} {'-':>7}"
        tail = (
            f"{shown['support']:>7} {shown['min']:>8.4f} {published} {k / inst.n:>8.4f} "
            f"{shown['gini']:>6.3f} {shown['levels'] if lx else '-':>6} {shown['gap']:>8.1e}"
            if shown
            else f"{'-':>7} {'-':>8} {published} {k / inst.n:>8.4f} {'-':>6} {'-':>6} {'-':>8}"
        )
        lex = f"{'-':>15}" if args.no_leximin else fmt_time(lx_run)
        base_lex = fmt_time(base_lx) if base_lx is not None else f"{'-':>15}"
        print(
            f"{pool:>5} {k:>5} {attrs:>5} {n_types:>5} {fmt_time(mx_run)} {lex} {tail} "
            f"{fmt_time(base_mx)} {base_lex}",
            flush=True,
        )
        if mx and lx and abs(mx["min"] - lx["min"]) > 1e-4:
            print(f"  !! maximin min {mx['min']:.6f} != leximin min {lx['min']:.6f}")
        if lx and lx["published_min"] < 0.99 * lx["min"] - 1e-12:
            print(f"  !! published min {lx['published_min']:.6f} below 99 % of {lx['min']:.6f}")
    print(f"# {time.strftime('%Y-%m-%d %H:%M:%S')}  {load()}")
    print("# times: wall seconds (CPU seconds of the solver process); support/min p/gini of")
    print("# the leximin distribution (maximin when leximin is skipped or timed out); published:")
    print("# smallest probability in the lottery of equally likely slots that is committed and")
    print("# drawn (round_to_promise), slots: its size; gap: largest gap to the dual bound;")
    print("# base maximin: the same solver with numpy's BLAS threads unlimited (before that fix);")
    print("# base leximin (only with --baseline): level by level, without the relaxation")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
