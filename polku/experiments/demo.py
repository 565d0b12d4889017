"""Demo: the youth organisation's path tells the whole experiments story.

8 experiments planned at the annual meeting's workshop in 8 branches, check-ins with numbers,
one experiment copied by two other branches, a round 2 — and a roll-up of exactly
350 "uusia nuoria tavoitettu" and 45 "jäi mukaan vapaaehtoiseksi".
"""

import datetime as dt
from contextlib import contextmanager

from django.utils import timezone

from polku.experiments import services
from polku.experiments.models import Experiment, LogEntry, MeasureType

# The same topics as the live room's demo (polku/activities/demo.py), so the story connects.
FIND = "Miten uudet nuoret löytävät meidät?"
STAY = "Miten nuoret jäävät mukaan kokeilun jälkeen?"
SOME = "Somenäkyvyys paikkakunnalla"
REACHED = "uusia nuoria tavoitettu"
STAYED = "jäi mukaan vapaaehtoiseksi"

# (branch code, title, topic, what we try, target reached, target stayed,
#  [(reached, stayed, what we did, what helped, obstacles), ...])
PLANS = [
    (
        "TAMPERE",
        "Kaveri mukaan -ilta",
        FIND,
        "Jokainen vapaaehtoinen tuo kaverin iltaan, jossa kokeillaan oikeita tehtäviä yhdessä.",
        50,
        8,
        [
            (
                30,
                4,
                "Kaksi iltaa nuorisotalolla.",
                "Kaverin kanssa on helpompi tulla.",
                "Tila oli pieni.",
            ),
            (25, 4, "Kolmas ilta ja pizzat.", "Tehtävät, joissa pääsee heti tekemään.", ""),
        ],
    ),
    (
        "HELSINKI",
        "Somehaaste #NuoretAuttaa",
        SOME,
        "Viikon somehaaste: jaa yksi hyvä teko ja haasta kaveri.",
        60,
        5,
        [
            (
                40,
                3,
                "Haaste TikTokissa ja Instagramissa.",
                "Tunnetut nuoret jakoivat haasteen.",
                "",
            ),
            (
                30,
                2,
                "Toinen haasteviikko.",
                "Valmiit videopohjat.",
                "Kouluviikot olivat kiireisiä.",
            ),
        ],
    ),
    (
        "ESPOO",
        "Koulukiertue yläkouluihin",
        FIND,
        "Vapaaehtoiset nuoret kertovat toiminnasta yläkoulujen välitunneilla.",
        60,
        6,
        [
            (35, 4, "Kolme koulua kierretty.", "Nuori kertoo nuorelle.", ""),
            (30, 3, "Kaksi koulua lisää.", "Opettajat auttoivat.", "Välitunnit ovat lyhyitä."),
        ],
    ),
    (
        "TURKU",
        "Ensimmäinen vuoro kaverin kanssa",
        STAY,
        "Uusi vapaaehtoinen tekee ensimmäiset vuoronsa kokeneen kaverin kanssa.",
        20,
        8,
        [
            (12, 4, "Parit muodostettu.", "Kokenut kaveri vastaa kysymyksiin.", ""),
            (10, 5, "Toinen kierros pareja.", "Kiitosviesti vuoron jälkeen.", ""),
        ],
    ),
    (
        "LAHTI",
        "Vapaaehtoisten kahvilailta",
        STAY,
        "Kerran kuussa avoin kahvilailta, jonne voi tulla tutustumaan.",
        30,
        5,
        [
            (
                10,
                1,
                "Ensimmäinen kahvilailta.",
                "Rento tunnelma.",
                "Ilmoitus tavoitti vähän nuoria.",
            ),
            (8, 2, "Toinen ilta.", "Lautapelit.", "Tarvitsemme apua markkinointiin."),
        ],
    ),
    (
        "JYVASKYLA",
        "Kesäleiri-infot",
        FIND,
        "Infotilaisuudet kesäleirien vapaaehtoistehtävistä harrastusseuroissa.",
        40,
        5,
        [
            (20, 2, "Kaksi infoa urheiluseuroissa.", "Seurojen valmentajat.", ""),
            (
                15,
                1,
                "Info partiolaisille.",
                "Konkreettiset tehtävät.",
                "Leirit ovat vasta kesällä.",
            ),
        ],
    ),
    (
        "VAASA",
        "Kaksikielinen esittelyilta – Tvåspråkig kväll",
        FIND,
        "Esittelyilta suomeksi ja ruotsiksi, jotta ruotsinkieliset nuoret löytävät toiminnan.",
        20,
        3,
        [
            (12, 2, "Ilta kirjastolla.", "Kaksikieliset vetäjät.", ""),
            (8, 1, "Toinen ilta lukiolla.", "Lukion opinto-ohjaaja.", ""),
        ],
    ),
    (
        "JOENSUU",
        "Mentori uudelle",
        STAY,
        "Jokainen uusi saa mentorin kolmeksi kuukaudeksi.",
        15,
        4,
        [(10, 2, "Mentorit koulutettu ja parit aloittaneet.", "Mentorikoulutus.", "")],
    ),
]


@contextmanager
def _dated(date: dt.date):
    """Log entries written inside the block get this date (demo history looks real)."""
    mark = timezone.now()
    yield
    when = timezone.make_aware(dt.datetime.combine(date, dt.time(18, 0)))
    LogEntry.objects.filter(created_at__gte=mark).update(created_at=when)


KICKOFF_TOPICS = [
    (FIND, 41),
    ("Perehdytys ensimmäisellä kerralla", 37),
    (STAY, 33),
    (SOME, 21),
    ("Yhteistyö koulujen kanssa", 18),
]
KICKOFF_WHAT_WORKS = [
    ("Tampereella kaveri mukaan -ilta: jokainen tuo yhden uuden", "TAMPERE"),
    ("Oulun osaston oma Instagram, jota nuoret itse päivittävät", "OULU"),
    ("Turussa mentori soittaa uudelle viikon päästä", "TURKU"),
]
BUILDS_ON = {
    "TAMPERE": KICKOFF_WHAT_WORKS[0][0],
    "HELSINKI": KICKOFF_WHAT_WORKS[1][0],
    "TURKU": KICKOFF_WHAT_WORKS[2][0],
    "JOENSUU": KICKOFF_WHAT_WORKS[2][0],
}


def _kickoff_results(created: dict) -> None:
    """What the annual meeting's live room carried forward: topics, votes, what works.
    (Only if the live room's own demo has not already put results there.)"""
    from polku.activities.models import ActivityResult

    kickoff, path = created["kickoff"], created["youth_path"]
    branches = {b.code: b for b in created["youth_branches"]}
    if ActivityResult.objects.filter(slot__workshop_day=kickoff).exists():
        return
    slots = {s.activity_type: s for s in kickoff.agenda_slots.all()}
    rows = []
    if "topics" in slots:
        rows += [
            ActivityResult(path=path, slot=slots["topics"], activity_type="topics", kind="topic",
                           text=text, score=1.0, position=i)
            for i, (text, _votes) in enumerate(KICKOFF_TOPICS)
        ]  # fmt: skip
    if "dot_vote" in slots:
        rows += [
            ActivityResult(path=path, slot=slots["dot_vote"], activity_type="dot_vote",
                           kind="priority", text=text, score=float(votes), position=i)
            for i, (text, votes) in enumerate(KICKOFF_TOPICS)
        ]  # fmt: skip
    if "what_works" in slots:
        rows += [
            ActivityResult(path=path, slot=slots["what_works"], activity_type="what_works",
                           kind="what_works", text=text, score=1.0, unit=branches.get(code),
                           position=i)
            for i, (text, code) in enumerate(KICKOFF_WHAT_WORKS)
        ]  # fmt: skip
    ActivityResult.objects.bulk_create(rows)


def load_experiments_demo(created: dict) -> None:
    _kickoff_results(created)
    path = created["youth_path"]
    branches = {b.code: b for b in created["youth_branches"]}
    facilitator = created["facilitator"]
    kickoff = timezone.localdate(created["kickoff"].starts_at)
    today = timezone.localdate()
    reached = services.measure_type_create(
        path=path, name=REACHED, kind=MeasureType.Kind.COUNT, unit_label="nuorta"
    )
    stayed = services.measure_type_create(
        path=path, name=STAYED, kind=MeasureType.Kind.COUNT, unit_label="nuorta"
    )
    started = kickoff + dt.timedelta(days=7)
    interval = dt.timedelta(days=path.checkin_interval_days)
    experiments: dict[str, Experiment] = {}
    for code, title, topic, what, t_reached, t_stayed, checkins in PLANS:
        unit = branches[code]
        with _dated(kickoff):
            experiment = services.experiment_create(
                path=path,
                unit=unit,
                title=title,
                topic_title=topic,
                what_we_try=what,
                builds_on=BUILDS_ON.get(
                    code, "Vuosikokouksen työpajassa kootut toimivat käytännöt."
                ),
                who="Osaston nuoret vapaaehtoiset ja yksi aikuinen tukija",
                first_step="Sovitaan ensimmäisen tapahtuman päivä ja paikka.",
                first_step_on=started,
                duration_weeks=12,
                contact_email=(
                    "tampere@nuoretauttajat.example"
                    if code == "TAMPERE"
                    else f"{code.lower()}@nuoretauttajat.example"
                ),
                targets={reached: t_reached, stayed: t_stayed},
                members=[services.MemberInput("Vetäjä"), services.MemberInput("Kaveri")],
                created_by=facilitator,
            )
            experiment.created_at = timezone.make_aware(dt.datetime.combine(kickoff, dt.time(14)))
            experiment.save(update_fields=["created_at"])
        with _dated(started):
            services.experiment_start(experiment=experiment, started_on=started)
        _checkins(experiment, started, interval, checkins, lahti=code == "LAHTI")
        experiments[code] = experiment

    # Copy what worked: Oulu and Kuopio copy Tampere's evening.
    tampere = experiments["TAMPERE"]
    oulu_start = kickoff + dt.timedelta(days=26)
    with _dated(kickoff + dt.timedelta(days=21)):
        oulu = services.experiment_adopt(
            original=tampere,
            unit=branches["OULU"],
            contact_email="oulu@nuoretauttajat.example",
            first_step_on=oulu_start,
        )
    with _dated(oulu_start):
        services.experiment_start(experiment=oulu, started_on=oulu_start)
    _checkins(
        oulu,
        oulu_start,
        interval,
        [(20, 2, "Ensimmäinen kaveri-ilta Oulussa.", "Tampereen vinkit.", "")],
    )
    with _dated(today - dt.timedelta(days=20)):
        services.experiment_adopt(
            original=tampere,
            unit=branches["KUOPIO"],
            contact_email="kuopio@nuoretauttajat.example",
            first_step_on=today + dt.timedelta(days=3),
        )

    # The kick-off's canvas offered the path's measures (the follow-up's report-back and decide
    # activities read the experiments' cards when they are started).
    canvas = created["kickoff"].agenda_slots.filter(activity_type="experiment_canvas").first()
    if canvas is not None:
        canvas.config = {**canvas.config, "grouping": "unit", "measures": [REACHED, STAYED]}
        canvas.save(update_fields=["config"])
    for day in path.workshop_days.exclude(pk=created["kickoff"].pk):
        for slot in day.agenda_slots.filter(activity_type="experiment_canvas"):
            slot.config = {**slot.config, "grouping": "unit", "measures": [REACHED, STAYED]}
            slot.save(update_fields=["config"])

    # Round 2: Helsinki continues its challenge with new people.
    helsinki = experiments["HELSINKI"]
    decided_on = started + 2 * interval + dt.timedelta(days=2)
    with _dated(decided_on):
        services.experiment_report(
            experiment=helsinki, summary="70 uutta nuorta tavoitettu, 5 jäi mukaan."
        )
        services.experiment_decide(
            experiment=helsinki,
            decision="continue",
            note="Toimii – uusi haaste syksyn alussa.",
            next_round_first_step_on=decided_on + dt.timedelta(days=1),
        )
    second = Experiment.objects.get(previous_round=helsinki)
    second_start = decided_on + dt.timedelta(days=1)
    with _dated(second_start):
        services.experiment_start(experiment=second, started_on=second_start)
    with _dated(today - dt.timedelta(days=2)):
        services.checkin_submit(
            experiment=second,
            slot=today - dt.timedelta(days=2),
            values=_values(second, 35, 3),
            what_we_did="Toisen kierroksen haaste: kaksi viikkoa.",
            what_helped="Ensimmäisen kierroksen videot.",
        )


def _values(experiment: Experiment, reached: int, stayed: int) -> dict[int, int]:
    by_name = {
        m.measure_type.name: m.pk for m in experiment.measures.select_related("measure_type")
    }
    return {by_name[REACHED]: reached, by_name[STAYED]: stayed}


def _checkins(experiment, started, interval, checkins, *, lahti: bool = False) -> None:
    for i, (n_reached, n_stayed, did, helped, obstacles) in enumerate(checkins, start=1):
        slot = started + i * interval
        support = lahti and i == len(checkins)
        with _dated(slot):
            services.checkin_submit(
                experiment=experiment,
                slot=slot,
                values=_values(experiment, n_reached, n_stayed),
                what_we_did=did,
                what_helped=helped,
                obstacles=obstacles,
                needs_support=support,
                support_request="Apua somemarkkinointiin." if support else "",
                source="link",
            )
