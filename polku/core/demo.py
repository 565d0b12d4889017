"""Demo data modelled on the cases in PRODUCT.md, with fictional organisations and people.

`load_demo()` is idempotent: it does nothing for an organisation that already exists.
Later capabilities add their part by appending a function to `DEMO_EXTENSIONS`
(called with the dict of created objects, only on the first load).
"""

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from polku.accounts.models import User
from polku.organisations.models import Membership, Organisation, Unit
from polku.paths.services import path_create

DEMO_PASSWORD = "polku-demo"  # noqa: S105 - printed by make run on purpose
FACILITATOR_EMAIL = "fasilitaattori@polku.example"
COORDINATOR_EMAIL = "koordinaattori@nuoretauttajat.example"
UNIT_CONTACT_EMAIL = "tampere@nuoretauttajat.example"
VIEWER_EMAIL = "hallitus@nuoretauttajat.example"

YOUTH_ORG = "nuoret-auttajat"
PATIENT_ORG = "sydanystavat"
HEALTH_ORG = "kuusiniemen-terveysasema"

# Finnish branch names use the genitive: "Helsingin osasto".
GENITIVE = {
    "Helsinki": "Helsingin", "Espoo": "Espoon", "Lahti": "Lahden", "Turku": "Turun",
    "Pori": "Porin", "Tampere": "Tampereen", "Vaasa": "Vaasan", "Kuopio": "Kuopion",
    "Joensuu": "Joensuun", "Jyväskylä": "Jyväskylän", "Oulu": "Oulun", "Rovaniemi": "Rovaniemen",
}  # fmt: skip
YOUTH_REGIONS = {
    "ETELA": ("Etelä-Suomen piiri", ["Helsinki", "Espoo", "Lahti"]),
    "LANSI": ("Länsi-Suomen piiri", ["Turku", "Pori", "Tampere", "Vaasa"]),
    "ITA": ("Itä-Suomen piiri", ["Kuopio", "Joensuu", "Jyväskylä"]),
    "POHJOINEN": ("Pohjois-Suomen piiri", ["Oulu", "Rovaniemi"]),
}

DEMO_EXTENSIONS: list[Callable[[dict], None]] = []


def _user(email: str, name: str, *, facilitator: bool = False) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, name=name, is_facilitator=facilitator
        )
    return user


@transaction.atomic
def load_demo() -> bool:
    """Create the demo; return False if it was already there."""
    if Organisation.objects.filter(slug=YOUTH_ORG).exists():
        return False
    facilitator = _user(FACILITATOR_EMAIL, "Fanni Fasilitaattori", facilitator=True)
    coordinator = _user(COORDINATOR_EMAIL, "Kalle Koordinaattori")
    contact = _user(UNIT_CONTACT_EMAIL, "Tiina Tampereelta")
    viewer = _user(VIEWER_EMAIL, "Hallituksen jäsen")
    today = timezone.localdate()

    youth = Organisation.objects.create(
        name="Nuoret Auttajat ry",
        slug=YOUTH_ORG,
        description="Valtakunnallinen nuorten vapaaehtoisjärjestö, 12 paikallisosastoa.",
    )
    national = Unit.objects.create(
        organisation=youth, code="KESKUS", name="Keskustoimisto", kind=Unit.Kind.NATIONAL
    )
    branches: list[Unit] = []
    for code, (region_name, towns) in YOUTH_REGIONS.items():
        region = Unit.objects.create(
            organisation=youth, code=code, name=region_name, kind=Unit.Kind.REGION, parent=national
        )
        for town in towns:
            branches.append(
                Unit.objects.create(
                    organisation=youth,
                    code=town.upper().replace("Ä", "A").replace("Ö", "O")[:10],
                    name=f"{GENITIVE[town]} osasto",
                    kind=Unit.Kind.LOCAL,
                    parent=region,
                )
            )
    tampere = next(b for b in branches if b.code == "TAMPERE")
    Membership.objects.create(
        user=facilitator, organisation=youth, role=Membership.Role.FACILITATOR
    )
    Membership.objects.create(
        user=coordinator, organisation=youth, role=Membership.Role.COORDINATOR
    )
    Membership.objects.create(
        user=contact, organisation=youth, role=Membership.Role.UNIT_CONTACT, unit=tampere
    )
    Membership.objects.create(user=viewer, organisation=youth, role=Membership.Role.VIEWER)
    youth_path = path_create(
        organisation=youth,
        name="Uusia nuoria mukaan – kevään kokeilupolku",
        goal=(
            "Osastot kokeilevat pieniä tapoja tuoda uusia nuoria vapaaehtoistoimintaan ja "
            "saada heidät jäämään mukaan. Tavoite: 300 uutta nuorta tutustuu, 40 jää mukaan."
        ),
        starts_on=today - dt.timedelta(days=61),
        template_key="half_year",
        units=branches,
        created_by=facilitator,
    )
    kickoff = youth_path.workshop_days.order_by("starts_at").first()
    assert kickoff is not None
    kickoff.title = "Vuosikokouksen työpaja"
    kickoff.place = "Tampere-talo, Sorsapuisto 1"
    kickoff.status = kickoff.Status.CLOSED
    kickoff.save()

    patient = Organisation.objects.create(
        name="Sydänystävät ry",
        slug=PATIENT_ORG,
        description="Valtakunnallinen potilasjärjestö, 9 paikallisyhdistystä.",
    )
    locals_ = [
        Unit.objects.create(
            organisation=patient,
            code=f"PY{i:02d}",
            name=f"Sydänystävät {town}",
            kind=Unit.Kind.LOCAL,
        )
        for i, town in enumerate(
            [
                "Kotka",
                "Hämeenlinna",
                "Seinäjoki",
                "Kajaani",
                "Mikkeli",
                "Rauma",
                "Salo",
                "Kokkola",
                "Savonlinna",
            ],
            start=1,
        )
    ]
    Membership.objects.create(
        user=facilitator, organisation=patient, role=Membership.Role.FACILITATOR
    )
    patient_path = path_create(
        organisation=patient,
        name="Varainhankinnan työpajapäivä",
        goal="Vuosia jauhetut asiat eteenpäin: uusia varainhankinnan tapoja yhdistyksiltä toisille.",
        starts_on=today + dt.timedelta(days=20),
        template_key="one_day",
        units=locals_,
        created_by=facilitator,
    )
    day = patient_path.workshop_days.first()
    assert day is not None
    day.mode, day.video_link, day.place = (
        day.Mode.HYBRID,
        "https://meet.example/sydanystavat",
        "Järjestötalo, Helsinki",
    )
    day.save()

    health = Organisation.objects.create(
        name="Kuusiniemen terveysasema",
        slug=HEALTH_ORG,
        description="Terveysasema, noin 120 työntekijää: vastaanotto, hoitajat, lääkärit, laboratorio.",
    )
    for code, name in [
        ("VAST", "Vastaanotto"),
        ("HOIT", "Hoitajat"),
        ("LAAK", "Lääkärit"),
        ("LAB", "Laboratorio"),
        ("HALL", "Hallinto"),
    ]:
        Unit.objects.create(organisation=health, code=code, name=name, kind=Unit.Kind.LOCAL)
    Membership.objects.create(
        user=facilitator, organisation=health, role=Membership.Role.FACILITATOR
    )
    path_create(
        organisation=health,
        name="Vastaanoton toimintatavat – organisaatioraati",
        goal="Henkilöstöstä arvottu raati antaa suositukset vastaanoton käytännöiksi.",
        starts_on=today + dt.timedelta(days=35),
        template_key="half_year",
        units=list(health.units.all()),
        created_by=facilitator,
    )

    created = {
        "facilitator": facilitator,
        "coordinator": coordinator,
        "youth": youth,
        "youth_path": youth_path,
        "youth_branches": branches,
        "kickoff": kickoff,
        "patient": patient,
        "patient_path": patient_path,
        "health": health,
    }
    for extension in DEMO_EXTENSIONS:
        extension(created)
    return True
