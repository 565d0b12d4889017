"""Demo data: results of the youth organisation's kick-off workshop, carried to its path."""

import datetime as dt
import hashlib
import secrets

from polku.activities.models import ActivityResult
from polku.live.models import Participant
from polku.workshops.models import AgendaSlot

# Phones that joined the kick-off, per branch (the seed's case: about 100 young people).
KICKOFF_PHONES = {
    "Helsinki": 18, "Tampere": 16, "Turku": 12, "Oulu": 11, "Espoo": 10, "Kuopio": 9,
    "Jyväskylä": 8, "Joensuu": 6, "Vaasa": 5, "Lahti": 5,
}  # fmt: skip

TOPICS = [
    ("Miten uudet nuoret löytävät meidät?", 41.0),
    ("Perehdytys ensimmäisellä kerralla", 37.0),
    ("Miten nuoret jäävät mukaan kokeilun jälkeen?", 33.0),
    ("Somenäkyvyys paikkakunnalla", 21.0),
    ("Yhteistyö koulujen kanssa", 18.0),
]
WHAT_WORKS = [
    ("Tampereella kaveri mukaan -ilta: jokainen tuo yhden uuden", "Tampere"),
    ("Oulun osaston oma Instagram, jota nuoret itse päivittävät", "Oulu"),
    ("Turussa mentori soittaa uudelle viikon päästä", "Turku"),
]


def add_demo_results(created: dict) -> None:
    kickoff = created["kickoff"]
    path = created["youth_path"]
    branches = {b.code.capitalize(): b for b in created["youth_branches"]}
    slots = {s.activity_type: s for s in AgendaSlot.objects.filter(workshop_day=kickoff)}
    rows = []
    if "dot_vote" in slots:
        rows += [
            ActivityResult(path=path, slot=slots["dot_vote"], activity_type="dot_vote",
                           kind="priority", text=text, score=score, position=i)
            for i, (text, score) in enumerate(TOPICS)
        ]  # fmt: skip
    if "what_works" in slots:
        rows += [
            ActivityResult(path=path, slot=slots["what_works"], activity_type="what_works",
                           kind="what_works", text=text, unit=branches.get(town), position=i)
            for i, (text, town) in enumerate(WHAT_WORKS)
        ]  # fmt: skip
    ActivityResult.objects.bulk_create(rows)
    # Joined phones only: their inputs to the (anonymous) activities are not linkable to them.
    start = kickoff.starts_at
    phones = []
    for town, count in KICKOFF_PHONES.items():
        unit = branches.get(town.upper().replace("Ä", "A").replace("Ö", "O")[:10].capitalize())
        for i in range(count):
            phones.append(
                Participant(
                    workshop_day=kickoff,
                    token_hash=hashlib.sha256(secrets.token_bytes(32)).hexdigest(),
                    unit=unit,
                    created_at=start + dt.timedelta(minutes=5 + (len(phones) % 20), seconds=i),
                )
            )
    Participant.objects.bulk_create(phones)
