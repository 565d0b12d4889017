"""Card text → words, lemmas and character n-grams (pure functions, no Django).

Finnish words are lemmatised with Voikko (Debian's ``libvoikko1`` + ``voikko-fi`` through the
PyPI binding ``libvoikko``) when it is installed: "kokeilut" → "kokeilu", "osastoon" → "osasto",
and a compound also gives its parts ("somevastaava" → "some", "vastaava"). Without Voikko every
word stands for itself (still a real word for a group name, never a stemmed stub).
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


NOUN_CLASSES = frozenset({"nimisana", "nimi", "etunimi", "sukunimi", "paikannimi", "lyhenne"})


@dataclass(frozen=True)
class Token:
    surface: str  # the word as typed, lower-cased
    lemma: str  # its base form (the surface without Voikko)
    parts: tuple[str, ...]  # compound parts' base forms (empty when not a compound)
    noun: bool = True  # Voikko's word class is a noun or a name (or unknown): names prefer these


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
    def analyse(self, word: str) -> tuple[str, tuple[str, ...], bool]:
        voikko = self._open()
        if voikko is None or len(word) > 60:
            return word, (), True
        try:
            analyses = voikko.analyze(word)
        except Exception:
            return word, (), True
        if not analyses:
            return word, (), True
        best = analyses[0]
        noun = best.get("CLASS", "nimisana") in NOUN_CLASSES
        lemma = (best.get("BASEFORM") or word).lower()
        parts: tuple[str, ...] = ()
        bases = best.get("WORDBASES") or ""
        found = [p.lower() for p in _PART.findall(bases)]
        if len(found) > 1:
            parts = tuple(p for p in found if len(p) > 2)
        return lemma, parts, noun

    def tokens(self, text: str) -> list[Token]:
        out = []
        for word in words(text):
            if len(word) < 2:
                continue
            lemma, parts, noun = self.analyse(word)
            if lemma in STOP or word in STOP:
                continue
            out.append(Token(surface=word, lemma=lemma, parts=parts, noun=noun))
        return out


@functools.cache
def lemmatiser() -> Lemmatiser:
    return Lemmatiser()
