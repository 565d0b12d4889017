"""Demo: the health centre's organisation jury on reception practices (Kuusiniemen terveysasema).

A pool of 60 staff volunteers, quotas by unit, role and shift, a committed and publicly drawn
lottery (dice), invitations with one decline replaced fairly, three recommendations with votes,
a published statement and the commissioner's first responses.
"""

import random

from polku.experiments.services import experiment_start
from polku.juries import services
from polku.juries.models import JuryMember, Response

FIRST_NAMES = [
    "Aino",
    "Eeva",
    "Helmi",
    "Ilona",
    "Jenni",
    "Kaisa",
    "Laura",
    "Minna",
    "Noora",
    "Oona",
    "Pia",
    "Riikka",
    "Sanna",
    "Tiina",
    "Ulla",
    "Veera",
    "Anu",
    "Heidi",
    "Johanna",
    "Katja",
    "Antti",
    "Ilkka",
    "Janne",
    "Mikko",
    "Pekka",
    "Sami",
    "Timo",
    "Ville",
    "Juha",
    "Olli",
]
LAST_NAMES = [
    "Virtanen",
    "Korhonen",
    "Mäkinen",
    "Nieminen",
    "Hämäläinen",
    "Laine",
    "Heikkinen",
    "Koskinen",
    "Järvinen",
    "Lehtonen",
    "Saarinen",
    "Salminen",
    "Heinonen",
    "Niemi",
    "Kinnunen",
]
# unit code → (unit name, roles with weights)
STAFF = {
    "VAST": ("Vastaanotto", [("vastaanottovirkailija", 1.0)]),
    "HOIT": ("Hoitajat", [("sairaanhoitaja", 0.6), ("lähihoitaja", 0.4)]),
    "LAAK": ("Lääkärit", [("lääkäri", 1.0)]),
    "LAB": ("Laboratorio", [("laboratoriohoitaja", 1.0)]),
    "HALL": ("Hallinto", [("hallinto", 1.0)]),
}
POOL_MIX = {"VAST": 14, "HOIT": 24, "LAAK": 9, "LAB": 7, "HALL": 6}
SHIFTS = [("aamu", 0.5), ("ilta", 0.3), ("päivystys", 0.2)]
AGES = [("alle 35", 0.35), ("35–49", 0.4), ("50+", 0.25)]


def _pick(rng: random.Random, options):
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights, k=1)[0]


def _ascii(name: str) -> str:
    return name.lower().replace("ä", "a").replace("ö", "o").replace("å", "a")


def pool_csv(seed: int = 6) -> bytes:
    rng = random.Random(seed)
    lines = ["id;nimi;sähköposti;yksikkö;rooli;vuoro;ikäryhmä;tiimi"]
    n = 0
    for code, count in POOL_MIX.items():
        _unit_name, roles = STAFF[code]
        for _ in range(count):
            n += 1
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            shift = "aamu" if code == "HALL" else _pick(rng, SHIFTS)
            team = f"{code}-{rng.randint(1, 3)}"
            lines.append(
                f"K{n:03d};{first} {last};{_ascii(first)}.{_ascii(last)}{n}@kuusiniemi.example;"
                f"{code};{_pick(rng, roles)};{shift};{_pick(rng, AGES)};{team}"
            )
    return ("\n".join(lines) + "\n").encode()


def demo_jury(created: dict) -> None:
    health = created["health"]
    facilitator = created["facilitator"]
    path = health.paths.first()
    if path is None:
        return
    days = list(path.workshop_days.all())
    jury = services.jury_create(
        path=path,
        question="Miten vastaanottomme pitäisi toimia, jotta potilas saa avun yhdellä yhteydenotolla?",
        commissioner="Johtava lääkäri Marjatta Kallio",
        commitment="Vastaan jokaiseen suositukseen kirjallisesti neljän viikon kuluessa ja kerron, mitä kokeillaan.",
        panel_size=12,
        steering_group="Työsuojeluvaltuutettu Pirjo Aalto\nLuottamusmies Jari Hakala\nPotilasasiamies Leena Voutilainen",
        response_days=28,
        max_per_team=3,
        sessions=days,
        created_by=facilitator,
    )
    services.jury_attribute_values_set(
        jury=jury,
        text="rooli: vastaanottovirkailija, sairaanhoitaja, lähihoitaja, lääkäri, laboratoriohoitaja, hallinto\n"
        "vuoro: aamu, ilta, päivystys\nikäryhmä: alle 35, 35–49, 50+",
        actor=facilitator,
    )
    services.pool_import(
        jury=jury, filename="vapaaehtoiset.csv", content=pool_csv(), actor=facilitator
    )
    commissioner = jury.pool.order_by("external_id").filter(attributes__unit="Lääkärit").first()
    if commissioner is not None:
        services.pool_member_exclude(
            member=commissioner,
            excluded=True,
            reason="Toimeksiantaja (johtava lääkäri)",
            actor=facilitator,
        )
    # Staff shares (whole staff of ~120): reception 20 %, nurses 45 %, doctors 15 %, lab 10 %, admin 10 %.
    unit_shares = {
        "Vastaanotto": 20,
        "Hoitajat": 45,
        "Lääkärit": 15,
        "Laboratorio": 10,
        "Hallinto": 10,
    }
    quotas = []
    for value, (lo, hi) in services.quotas_from_shares(
        k=12, attribute="unit", shares=unit_shares
    ).items():
        quotas.append(
            {"attribute": "unit", "value": value, "min": lo, "max": hi, "share": unit_shares[value]}
        )
    quotas += [
        {"attribute": "vuoro", "value": "aamu", "min": 5, "max": 8},
        {"attribute": "vuoro", "value": "ilta", "min": 2, "max": 5},
        {"attribute": "vuoro", "value": "päivystys", "min": 1, "max": 3},
        {"attribute": "ikäryhmä", "value": "alle 35", "min": 3, "max": 5},
        {"attribute": "ikäryhmä", "value": "50+", "min": 2, "max": 4},
    ]
    services.quotas_set(
        jury=jury,
        quotas=quotas,
        reason="Ohjausryhmän päätös 3.2.: yksiköt henkilöstön osuuksien mukaan, kaikki vuorot mukana.",
        actor=facilitator,
    )
    services.run_preview(jury=jury, actor=facilitator)
    run = services.run_leximin_start(jury=jury, actor=facilitator, background=False)
    draw = services.draw_commit(jury=jury, run=run, actor=facilitator)
    services.draw_enter(draw=draw, kind="dice", digits="5 2 6 1 3 4 2 5 1 6 3 3", actor=facilitator)
    services.members_invite(jury=jury, actor=facilitator)
    members = list(jury.members.filter(draw=draw).order_by("pool_member__pseudonym"))
    # Pseudonyms are random, so pick as the one who declines someone whom an alternate can
    # replace without breaking a quota (the demo shows a replacement, not an impossible one).
    decliner = next((m for m in members if _replaceable(draw, members, m)), members[0])
    services.member_respond(member=decliner, accept=False)
    for member in jury.members.filter(draw=draw, status=JuryMember.Status.INVITED):
        services.member_respond(member=member, accept=True)
    texts = [
        (
            "Yksi yhteinen puhelinnumero ja takaisinsoitto",
            "Kaikki yhteydenotot ohjataan yhteen numeroon. Jos jono on yli 10 minuuttia, potilas saa takaisinsoiton samana päivänä.",
        ),
        (
            "Hoitajan ja lääkärin työparimalli vastaanotossa",
            "Kokeillaan kolmen kuukauden ajan työparia, joka jakaa päivän ajat ja konsultoi toisiaan heti.",
        ),
        (
            "Vastaanottovirkailijoille oikeus varata suoraan laboratorioaika",
            "Turhat soitot vähenevät, kun laboratorioajan voi varata samassa puhelussa.",
        ),
    ]
    recs = [
        services.recommendation_create(jury=jury, title=t, body=b, actor_label="raati")
        for t, b in texts
    ]
    rng = random.Random(6)
    accepted = list(jury.members.filter(status=JuryMember.Status.ACCEPTED))
    for rec, weights in zip(recs, [[6, 3, 1, 0, 0], [3, 4, 2, 1, 0], [5, 3, 2, 1, 1]], strict=True):
        for member in accepted:
            level = rng.choices([5, 4, 3, 2, 1], weights=weights, k=1)[0]
            services.vote_cast(member=member, recommendation=rec, level=level)
    services.statement_publish(
        jury=jury,
        intro="Raati kokoontui kolme kertaa, kuuli asiantuntijoita ja potilasasiamiestä ja sopi kolmesta suosituksesta.",
        actor=facilitator,
    )
    services.response_save(
        recommendation=recs[0],
        decision=Response.Decision.ACCEPTED,
        reasons="Otetaan käyttöön. Takaisinsoittojärjestelmä on jo hankittu, käyttöönotto alkaa ensi kuussa.",
        actor=facilitator,
    )
    action = services.action_create(
        recommendation=recs[0],
        title="Takaisinsoiton kokeilu vastaanotossa",
        unit=health.units.get(code="VAST"),
        contact_email="vastaanotto.osastonhoitaja@kuusiniemi.example",
        owner="Vastaanoton osastonhoitaja ja kaksi vastaanottovirkailijaa",
        due_on=path.starts_on,
        actor=facilitator,
    )
    if action.experiment is not None:
        experiment_start(experiment=action.experiment, actor=facilitator)
    services.response_save(
        recommendation=recs[1],
        decision=Response.Decision.PARTLY,
        reasons="Kokeillaan yhdessä tiimissä ensin; resurssit eivät riitä kaikkiin tiimeihin heti.",
        actor=facilitator,
    )


def _replaceable(draw, members, member) -> bool:
    from polku.juries import lottery_adapter as lottery

    instance = lottery.instance_from_dict(draw.run.instance)
    seated = [m.pool_member.pseudonym for m in members]
    result = lottery.replacement(
        instance,
        panel=seated,
        decliner=member.pool_member.pseudonym,
        alternates=[p.id for p in instance.eligible if p.id not in seated],
    )
    return result.chosen is not None
