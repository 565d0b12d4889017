"""Grouping suggestions as pure functions: cards (and cached vectors) in, proposals out.

Similarity of two cards is a weighted sum of three cosines (docs/grouping.md):

* lemmas: TF-IDF over Voikko base forms and compound parts ("somevastaava" ≈ "some" + "vastaava");
* characters: TF-IDF over character 3–5-grams inside the words and their base forms (typos,
  inflections Voikko does not know, Swedish and English words);
* meaning: multilingual-e5 sentence vectors, centred on the wall's own mean (all cards of one
  workshop are "about the organisation"; centring leaves what tells them apart).

Average-linkage clustering on that similarity, cut at a distance threshold (the ``level``
moves it: fewer or more groups); clusters of one stay ungrouped. Names come from the group's
own lemmas that are frequent in it and rare elsewhere. Identical texts are collapsed first, so
1,000 identical cards cost as much as one.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.feature_extraction.text import TfidfVectorizer

from polku.grouping.text import Lemmatiser, Token, lemmatiser, normalise

MIN_CARDS = 3
MAX_CARDS = 5000
LEVELS = range(-3, 4)


@dataclass(frozen=True)
class Weights:
    # chosen on dev_cards.txt only (a grid; docs/grouping.md), measured on heldout_cards.txt
    lemma: float = 0.10
    char: float = 0.15
    meaning: float = 0.75
    threshold: float = 0.92  # distance (1 - similarity) at which clustering stops, level 0
    step: float = 0.02  # per level
    duplicate: float = 0.60  # similarity from which two cards are offered for merging


DEFAULT = Weights()
#: ranking (similar experiments, library search) keeps round 1's weights: no set measures it,
#: and the grouping's weights lean on vectors centred on the wall, which say little when the
#: "wall" is one query and a handful of candidates
RANKING = Weights(lemma=0.25, char=0.20, meaning=0.55)


@dataclass
class Group:
    cards: list[str]
    name: str
    confidence: float
    words: list[str] = field(default_factory=list)


@dataclass
class Duplicate:
    cards: list[str]  # first is the one to keep
    texts: list[str]
    similarity: float


@dataclass
class Suggestion:
    groups: list[Group]
    ungrouped: list[str]
    duplicates: list[Duplicate]
    level: int
    message: str = ""  # code of why nothing could be suggested ("too_few", "no_words")


_KEY = re.compile(r"[\W_]+")


def text_key(text: str) -> str:
    """Cards with the same key are the same card for grouping ("Some!" = "some")."""
    return _KEY.sub(" ", normalise(text).casefold()).strip()


def lemma_features(tokens: list[Token]) -> list[str]:
    """Base forms and compound parts as one vocabulary: "somevastaava" shares "some" with a
    card that says "Some" and "vastaava" with one about "vastaava"."""
    feats = [t.stem or t.lemma for t in tokens]
    for t in tokens:
        feats += [p for p in t.parts if p != t.lemma]
    return feats


def _cosines(matrix) -> np.ndarray:
    sim = matrix @ matrix.T
    sim = sim.toarray() if hasattr(sim, "toarray") else np.asarray(sim)
    return np.clip(sim.astype(np.float64), 0.0, 1.0)


def similarity(
    texts: list[str],
    tokens: list[list[Token]],
    vectors: np.ndarray | None,
    weights: Weights = DEFAULT,
) -> np.ndarray:
    """The n×n similarity of the (unique, non-empty) texts."""
    n = len(texts)
    parts: list[tuple[float, np.ndarray]] = []
    feats = [lemma_features(t) for t in tokens]
    if any(feats):
        tfidf = TfidfVectorizer(analyzer=lambda f: f, sublinear_tf=True, norm="l2")
        parts.append((weights.lemma, _cosines(tfidf.fit_transform(feats))))
    # n-grams of the words as typed and of their base forms and parts: "puhelimeen" and
    # "puhelinjono" share "puhelin" through the base forms, typos through the surfaces
    lowered = [
        " ".join([t.surface for t in toks] + f) or text.lower()
        for text, toks, f in zip(texts, tokens, feats, strict=True)
    ]
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, norm="l2")
    with contextlib.suppress(ValueError):  # no n-gram at all
        parts.append((weights.char, _cosines(chars.fit_transform(lowered))))
    if vectors is not None and weights.meaning > 0 and n > 1:
        centred = vectors - vectors.mean(axis=0, keepdims=True)
        centred /= np.maximum(np.linalg.norm(centred, axis=1, keepdims=True), 1e-9)
        parts.append((weights.meaning, _cosines(centred)))
    total = sum(w for w, _ in parts) or 1.0
    sim = np.eye(n)
    if parts:
        sim = np.zeros((n, n))
        for w, part in parts:
            sim += (w / total) * part
    np.fill_diagonal(sim, 1.0)
    return sim


def clusters(sim: np.ndarray, threshold: float) -> list[list[int]]:
    """Average-linkage clusters (indices), merging while the mean distance < threshold."""
    n = len(sim)
    if n < 2:
        return [[i] for i in range(n)]
    dist = squareform(np.clip(1.0 - sim, 0.0, 1.0), checks=False)
    labels = fcluster(linkage(dist, method="average"), t=threshold, criterion="distance")
    out: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        out.setdefault(int(label), []).append(i)
    return list(out.values())


def name_for(members: list[int], tokens: list[list[Token]], doc_freq: Counter, n: int) -> list[str]:
    """Up to two base forms, frequent in the group and rare on the rest of the wall."""
    inside: Counter[str] = Counter()
    kind: dict[str, float] = {}
    for i in members:
        seen = set()
        for t in tokens[i]:
            for lemma in (t.lemma, *t.parts):
                if len(lemma) > 2 and lemma not in seen:
                    seen.add(lemma)
                    inside[lemma] += 1.0 if lemma == t.lemma else 0.6  # type: ignore[assignment]
                    kind[lemma] = max(kind.get(lemma, 0.0), 1.0 if t.noun else 0.45)
    scored = sorted(
        (
            -round((count / len(members)) * math.log(1 + n / doc_freq[lemma]) * kind[lemma], 6),
            -len(lemma),
            lemma,
        )
        for lemma, count in inside.items()
    )  # best first; on a tie the longer (more specific) word, then alphabetically
    names: list[str] = []
    for _score, _length, lemma in scored:
        if len(names) == 2:
            break
        if any(lemma in other or other in lemma for other in names):
            continue
        if names and inside[lemma] < max(2, 0.3 * len(members)):
            break
        names.append(lemma)
    return names


def suggest(
    cards: list[tuple[str, str]],
    vectors: dict[str, np.ndarray] | None = None,
    *,
    level: int = 0,
    weights: Weights = DEFAULT,
    lemmas: Lemmatiser | None = None,
) -> Suggestion:
    """Proposed groups for ``cards`` ``[(id, text)]``; ``vectors`` maps normalised text → vector
    (cards without one are grouped on their words). ``level`` > 0 gives more, smaller groups."""
    level = max(LEVELS.start, min(LEVELS.stop - 1, int(level)))
    lemmas = lemmas or lemmatiser()
    cards = cards[:MAX_CARDS]
    by_key: dict[str, list[str]] = {}
    text_of: dict[str, str] = {}
    for card_id, text in cards:
        key = text_key(text)
        if key:
            by_key.setdefault(key, []).append(card_id)
            text_of.setdefault(key, normalise(text))
    keys = list(by_key)
    tokens = [lemmas.tokens(text_of[k]) for k in keys]
    usable = [i for i, toks in enumerate(tokens) if toks or len(keys[i]) >= 3]
    empty = [c for c, t in cards if not text_key(t)]
    duplicates = [
        Duplicate(cards=ids, texts=[text_of[k]] * 2, similarity=1.0)
        for k, ids in by_key.items()
        if len(ids) > 1
    ]
    if sum(len(by_key[keys[i]]) for i in usable) < MIN_CARDS:
        code = "too_few" if len(cards) < MIN_CARDS else "no_words"
        return Suggestion([], [c for c, _ in cards], duplicates, level, code)
    keys = [keys[i] for i in usable]
    tokens = [tokens[i] for i in usable]
    texts = [text_of[k] for k in keys]
    matrix = None
    if vectors:
        dim = len(next(iter(vectors.values())))
        rows = [vectors.get(t) for t in texts]
        if any(r is not None for r in rows):  # cards not embedded yet: their words decide
            matrix = np.vstack([r if r is not None else np.zeros(dim) for r in rows])
    sim = similarity(texts, tokens, matrix, weights)
    threshold = weights.threshold - level * weights.step
    doc_freq: Counter = Counter()
    for toks in tokens:
        doc_freq.update({lemma for t in toks for lemma in (t.lemma, *t.parts)})
    groups: list[Group] = []
    loose: list[str] = []
    for members in clusters(sim, threshold):
        ids = [c for i in members for c in by_key[keys[i]]]
        if len(ids) < 2:
            loose += ids
            continue
        if len(members) > 1:
            block = sim[np.ix_(members, members)]
            cohesion = float((block.sum() - len(members)) / (len(members) * (len(members) - 1)))
        else:
            cohesion = 1.0
        names = name_for(members, tokens, doc_freq, len(keys))
        label = ", ".join(names) if names else texts[members[0]][:40]
        groups.append(
            Group(
                cards=ids,
                name=label[:1].upper() + label[1:],
                confidence=round(cohesion, 2),
                words=names,
            )
        )
    groups.sort(key=lambda g: (-len(g.cards), g.name))
    # near-duplicates: distinct texts that say the same
    pairs = np.argwhere(np.triu(sim, k=1) >= weights.duplicate)
    ranked = sorted(pairs.tolist(), key=lambda p: -sim[p[0], p[1]])[:30]
    for a, b in ranked:
        duplicates.append(
            Duplicate(
                cards=[by_key[keys[a]][0], by_key[keys[b]][0]],
                texts=[texts[a], texts[b]],
                similarity=round(float(sim[a, b]), 2),
            )
        )
    return Suggestion(groups, loose + empty, duplicates, level)


def labels(suggestion: Suggestion, ids: list[str]) -> list[int]:
    """One label per card (ids in order): groups 0…k-1, each ungrouped card its own label."""
    label_of: dict[str, int] = {}
    for number, group in enumerate(suggestion.groups):
        for card in group.cards:
            label_of[card] = number
    next_label = len(suggestion.groups)
    out = []
    for card in ids:
        if card not in label_of:
            label_of[card] = next_label
            next_label += 1
        out.append(label_of[card])
    return out


def rank(
    query: str,
    candidates: list[tuple[str, str]],
    vectors: dict[str, np.ndarray] | None = None,
    *,
    limit: int = 5,
    min_similarity: float = 0.15,
    weights: Weights = RANKING,
    lemmas: Lemmatiser | None = None,
) -> list[tuple[str, float]]:
    """The ``candidates`` ``[(id, text)]`` most like ``query``, best first, with the same
    similarity as the grouping (``[(id, similarity)]``, at least ``min_similarity``)."""
    lemmas = lemmas or lemmatiser()
    texts = [normalise(query)] + [normalise(t) for _, t in candidates[:MAX_CARDS]]
    if not candidates or not text_key(texts[0]):
        return []
    tokens = [lemmas.tokens(t) for t in texts]
    matrix = None
    if vectors:
        dim = len(next(iter(vectors.values())))
        rows = [vectors.get(t) for t in texts]
        if rows[0] is not None:
            matrix = np.vstack([r if r is not None else np.zeros(dim) for r in rows])
    sim = similarity(texts, tokens, matrix, weights)[0, 1:]
    order = sorted(range(len(sim)), key=lambda i: (-sim[i], i))
    return [(candidates[i][0], round(float(sim[i]), 2)) for i in order if sim[i] >= min_similarity][
        :limit
    ]
