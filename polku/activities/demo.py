"""Demo data: results of the youth organisation's kick-off workshop, carried to its path."""

from polku.activities.models import ActivityResult
from polku.workshops.models import AgendaSlot

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
    branches = {b.name.split()[0].rstrip("n"): b for b in created["youth_branches"]}
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
