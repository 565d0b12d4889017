"""Card text → words, lemmas and character n-grams (pure functions, no Django).

Finnish words are lemmatised with Voikko (Debian's ``libvoikko1`` + ``voikko-fi`` through the
PyPI binding ``libvoikko``) when it is installed: "kokeilut" → "kokeilu", "osastoon" → "osasto",
and a compound also gives its parts ("somevastaava" → "some", "vastaava"; a hyphenated
"chat-palvelu" → "chat", "palvelu"). Words Voikko does not know are mostly Swedish or English:
the card's language is guessed from its function words and a light suffix rule gives those
words a common form for matching ("members" → "member", "telefonköerna" → "telefonkö"; never
used as a name). Without Voikko every word
stands for itself (still a real word for a group name, never a stemmed stub).
"""

from __future__ import annotations

import functools
import re
import threading
import unicodedata
from dataclasses import dataclass

#: long cards are cut before embedding and lemmatising (the first words carry the topic)
MAX_CHARS = 400
_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")
_PART = re.compile(r"\(([^()]+)\)")

# Function words that never name a group nor make two cards alike (fi, sv, en).
STOP = frozenset(
    [
        "ja",
        "tai",
        "sekä",
        "on",
        "ei",
        "olla",
        "ole",
        "että",
        "joka",
        "jotka",
        "jonka",
        "mikä",
        "mitä",
        "kuka",
        "ketä",
        "se",
        "ne",
        "sen",
        "niin",
        "kuin",
        "kun",
        "jos",
        "myös",
        "vain",
        "vaan",
        "jo",
        "nyt",
        "sitten",
        "siis",
        "esim",
        "eli",
        "kaikki",
        "kaikille",
        "kaikkien",
        "jokainen",
        "jotain",
        "joku",
        "jossa",
        "josta",
        "johon",
        "mutta",
        "vielä",
        "enemmän",
        "lisää",
        "paljon",
        "liian",
        "hyvin",
        "hyvä",
        "paremmaksi",
        "paremmin",
        "pitää",
        "pitäisi",
        "voida",
        "voisi",
        "tulla",
        "saada",
        "tehdä",
        "mennä",
        "tarvita",
        "täytyy",
        "yksi",
        "oma",
        "omaa",
        "sama",
        "samat",
        "muu",
        "muut",
        "muiden",
        "toinen",
        "ensimmäinen",
        "mukaan",
        "kanssa",
        "ilman",
        "ennen",
        "jälkeen",
        "aikana",
        "kautta",
        "sitä",
        "tämä",
        "tää",
        "tätä",
        "nämä",
        "näitä",
        "hän",
        "me",
        "meidän",
        "meille",
        "meillä",
        "te",
        "he",
        "heidän",
        "minä",
        "sinä",
        "mun",
        "mä",
        "sä",
        "ku",
        "et",
        "eikä",
        "ettei",
        "kaikkea",
        "koko",
        "aina",
        "usein",
        "joskus",
        "kerran",
        "heti",
        "esimerkiksi",
        "etc",
        "tms",
        "vs",
        "ym",
        "yms",
        "asia",
        "juttu",
        "ihan",
        "tosi",
        "aika",
        "enää",
        "yhä",
        "kuitenkin",
        "siksi",
        "koska",
        "vaikka",
        "kohti",
        "och",
        "att",
        "det",
        "som",
        "en",
        "ett",
        "är",
        "inte",
        "för",
        "på",
        "med",
        "av",
        "till",
        "den",
        "de",
        "vi",
        "ni",
        "har",
        "kan",
        "ska",
        "skulle",
        "mer",
        "fler",
        "borde",
        "får",
        "bli",
        "blir",
        "också",
        "eller",
        "men",
        "om",
        "så",
        "från",
        "vid",
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "be",
        "should",
        "more",
        "new",
        "our",
        "we",
        "it",
        "at",
        "by",
        "from",
    ]
)


#: function words that tell a card's language (for words Voikko does not know)
SWEDISH = frozenset(
    [
        "och",
        "att",
        "det",
        "som",
        "en",
        "ett",
        "är",
        "inte",
        "för",
        "på",
        "med",
        "av",
        "till",
        "den",
        "de",
        "vi",
        "ni",
        "har",
        "kan",
        "ska",
        "skulle",
        "mer",
        "fler",
        "borde",
        "får",
        "bli",
        "blir",
        "också",
        "eller",
        "men",
        "om",
        "så",
        "från",
        "vid",
        "mellan",
        "behöver",
    ]
)
ENGLISH = frozenset(
    [
        "the",
        "a",
        "an",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "for",
        "with",
        "is",
        "are",
        "be",
        "should",
        "more",
        "new",
        "our",
        "we",
        "it",
        "at",
        "by",
        "from",
        "all",
        "too",
        "much",
        "between",
        "during",
        "those",
    ]
)
# light suffix rules for unknown words, longest first: plural and definite endings
_SUFFIXES = {
    "sv": ("arna", "erna", "orna", "ar", "or", "en", "et"),
    "en": ("ies", "s"),
}


def language_guess(surfaces: list[str]) -> str:
    """ "sv", "en" or "fi" (the default) from the card's function words."""
    sv = sum(w in SWEDISH for w in surfaces) + sum("å" in w for w in surfaces)
    en = sum(w in ENGLISH for w in surfaces)
    if sv > en and sv:
        return "sv"
    if en > sv and en:
        return "en"
    return "fi"


def stem_foreign(word: str, language: str) -> str:
    """A common form of a Swedish or English word (never shorter than four letters)."""
    for suffix in _SUFFIXES.get(language, ()):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            if language == "en" and suffix == "ies":
                return word[: -len(suffix)] + "y"
            return word[: -len(suffix)]
    return word


NOUN_CLASSES = frozenset({"nimisana", "nimi", "etunimi", "sukunimi", "paikannimi", "lyhenne"})


@dataclass(frozen=True)
class Token:
    surface: str  # the word as typed, lower-cased
    lemma: str  # its base form (the surface without Voikko)
    parts: tuple[str, ...]  # compound parts' base forms (empty when not a compound)
    noun: bool = True  # Voikko's word class is a noun or a name (or unknown): names prefer these
    stem: str = ""  # a Swedish or English word's common form: for matching only, never a name


def normalise(text: str) -> str:
    """NFC, collapsed whitespace, at most MAX_CHARS characters."""
    text = " ".join(unicodedata.normalize("NFC", str(text)).split())
    return text[:MAX_CHARS]


def words(text: str) -> list[str]:
    return [w.strip("-") for w in _WORD.findall(text.lower()) if w.strip("-")]


class Lemmatiser:
    """Voikko when installed, else the identity. One Voikko handle per thread (it is not
    thread-safe); analyses are cached per word."""

    def __init__(self) -> None:
        self._local = threading.local()
        self.available = self._open() is not None

    def _open(self):
        handle = getattr(self._local, "voikko", False)
        if handle is False:
            try:
                import libvoikko

                handle = libvoikko.Voikko("fi")
            except Exception:  # libvoikko, libvoikko1 or voikko-fi missing
                handle = None
            self._local.voikko = handle
        return handle

    @functools.lru_cache(maxsize=50_000)  # noqa: B019 - one process-wide instance
    def analyse(self, word: str) -> tuple[str, tuple[str, ...], bool] | None:
        """(base form, compound parts, is a noun) or None when Voikko does not know the word."""
        voikko = self._open()
        if voikko is None or len(word) > 60:
            return None
        try:
            analyses = voikko.analyze(word)
        except Exception:
            return None
        if not analyses:
            if "-" in word:  # "chat-palvelu", "kiva-tunnit": the pieces, each as a word
                pieces = [p for p in word.split("-") if len(p) > 2]
                bases = tuple((self.analyse(p) or (p,))[0] for p in pieces)
                return word, bases if len(bases) > 1 else (), True
            return None
        best = analyses[0]
        noun = best.get("CLASS", "nimisana") in NOUN_CLASSES
        lemma = (best.get("BASEFORM") or word).lower()
        parts: tuple[str, ...] = ()
        # "+" marks a derivational ending ("odotus" = "odottaa" + "+us"), not a word
        found = [
            p.lower() for p in _PART.findall(best.get("WORDBASES") or "") if not p.startswith("+")
        ]
        if len(found) > 1 or (found and found[0] != lemma):
            parts = tuple(p for p in found if len(p) > 2 and p != lemma)
        return lemma, parts, noun

    def tokens(self, text: str) -> list[Token]:
        surfaces = [w for w in words(text) if len(w) > 1]
        language = ""
        out = []
        for word in surfaces:
            if word in STOP:
                continue
            analysis = self.analyse(word)
            stem = ""
            if analysis is None:
                language = language or language_guess(surfaces)
                stem = stem_foreign(word, language)
                analysis = (word, (), True)
            lemma, parts, noun = analysis
            if lemma in STOP:
                continue
            out.append(Token(surface=word, lemma=lemma, parts=parts, noun=noun, stem=stem))
        return out


@functools.cache
def lemmatiser() -> Lemmatiser:
    return Lemmatiser()
