import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory, PathFactory, UnitFactory
from polku.experiments import services
from polku.experiments.models import CheckIn, CheckInValue, Experiment
from polku.experiments.tests.factories import MeasureTypeFactory
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db

Role = Membership.Role


@pytest.fixture
def world():
    path = PathFactory(starts_on=dt.date(2027, 1, 1))
    org = path.organisation
    oulu = UnitFactory(organisation=org, name="Oulun osasto")
    pori = UnitFactory(organisation=org, name="Porin osasto")
    path.units.set([oulu, pori])
    reached = MeasureTypeFactory(path=path, name="uusia nuoria tavoitettu")
    stayed = MeasureTypeFactory(path=path, name="jäi mukaan vapaaehtoiseksi")
    experiment = services.experiment_create(
        path=path,
        unit=oulu,
        title="Kaveri mukaan -ilta",
        topic_title="Uudet nuoret",
        contact_email="oulu@example.org",
        targets={reached: 20, stayed: 3},
    )
    return {
        "path": path,
        "org": org,
        "oulu": oulu,
        "pori": pori,
        "experiment": experiment,
        "reached": reached,
        "stayed": stayed,
    }


def login(client, world, role, unit=None):
    membership = MembershipFactory(organisation=world["org"], role=role, unit=unit)
    client.force_login(membership.user)
    return client


def url(world, name, *extra):
    return reverse(f"experiments:{name}", args=[world["org"].slug, world["path"].pk, *extra])


def test_board_lists_experiments_with_pinned_queries(client, world, django_assert_num_queries):
    for i in range(5):
        services.experiment_create(
            path=world["path"],
            unit=world["pori"],
            title=f"Kokeilu {i}",
            targets={world["reached"]: 5},
        )
    login(client, world, Role.FACILITATOR)
    with django_assert_num_queries(13):
        response = client.get(url(world, "board"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('class="exp-card ') == 6
    assert "Kaveri mukaan -ilta" in page


def test_library_shows_only_reached_most_adopted_first_with_pinned_queries(
    client, world, django_assert_num_queries
):
    e = world["experiment"]
    m = e.measures.get(measure_type=world["reached"])
    s = e.measures.get(measure_type=world["stayed"])
    services.checkin_submit(experiment=e, slot=dt.date(2027, 2, 1), values={m.pk: 25, s.pk: 4})
    other = services.experiment_create(
        path=world["path"], unit=world["pori"], title="Ei vielä", targets={world["reached"]: 50}
    )
    services.checkin_submit(
        experiment=other, slot=dt.date(2027, 2, 1), values={other.measures.get().pk: 10}
    )
    login(client, world, Role.COORDINATOR)
    with django_assert_num_queries(10):
        response = client.get(url(world, "library"))
    page = response.content.decode()
    assert "Kaveri mukaan -ilta" in page
    assert "Ei vielä" not in page


def test_unit_contact_edits_own_units_experiment_only(client, world):
    other = services.experiment_create(path=world["path"], unit=world["pori"], title="Porin juttu")
    login(client, world, Role.UNIT_CONTACT, unit=world["oulu"])
    assert client.get(url(world, "edit", world["experiment"].pk)).status_code == 200
    assert client.get(url(world, "edit", other.pk)).status_code == 403
    assert client.post(url(world, "action", other.pk), {"action": "start"}).status_code == 403
    other.refresh_from_db()
    assert other.status == "planned"


def test_viewer_reads_but_cannot_edit(client, world):
    login(client, world, Role.VIEWER)
    assert client.get(url(world, "detail", world["experiment"].pk)).status_code == 200
    assert client.get(url(world, "edit", world["experiment"].pk)).status_code == 403
    assert client.get(url(world, "results")).status_code == 200


def test_other_organisation_gets_404(client, world):
    stranger = MembershipFactory(role=Role.FACILITATOR)
    client.force_login(stranger.user)
    assert client.get(url(world, "detail", world["experiment"].pk)).status_code == 404


def test_create_experiment_with_targets(client, world):
    login(client, world, Role.FACILITATOR)
    response = client.post(
        url(world, "create"),
        {
            "title": "Somehaaste",
            "unit": world["pori"].pk,
            "what_we_try": "Haaste somessa",
            f"target_{world['reached'].pk}": "40",
            f"target_{world['stayed'].pk}": "",
        },
    )
    experiment = Experiment.objects.get(title="Somehaaste")
    assert response.status_code == 302
    assert [(m.measure_type.name, int(m.target)) for m in experiment.measures.all()] == [
        ("uusia nuoria tavoitettu", 40)
    ]


def test_create_with_negative_target_shows_finnish_error(client, world):
    login(client, world, Role.FACILITATOR)
    response = client.post(
        url(world, "create"), {"title": "X", f"target_{world['reached'].pk}": "-5"}
    )
    assert response.status_code == 200
    assert "Tämän luvun on oltava vähintään 0." in response.content.decode()
    assert not Experiment.objects.filter(title="X").exists()


def test_magic_link_checkin_on_phone_form_and_double_submit(world):
    _link, token = services.checkin_link_create(
        experiment=world["experiment"], slot=dt.date(2027, 2, 1)
    )
    client = Client()
    page = client.get(reverse("experiments:checkin_link", args=[token])).content.decode()
    assert "Miten menee?" in page
    m = world["experiment"].measures.get(measure_type=world["reached"])
    data = {f"measure_{m.pk}": "7", "what_we_did": "Ilta nuorisotalolla", "shareable": "on"}
    first = client.post(reverse("experiments:checkin_link", args=[token]), data)
    second = client.post(reverse("experiments:checkin_link", args=[token]), data)
    assert "Kiitos!" in first.content.decode()
    assert "Tämä kuulumisviesti on jo vastaanotettu" in second.content.decode()
    assert CheckIn.objects.count() == 1
    assert list(CheckInValue.objects.values_list("value", flat=True)) == [7]


def test_magic_link_bad_number_keeps_input_and_writes_nothing(world):
    _link, token = services.checkin_link_create(
        experiment=world["experiment"], slot=dt.date(2027, 2, 1)
    )
    m = world["experiment"].measures.get(measure_type=world["reached"])
    response = Client().post(
        reverse("experiments:checkin_link", args=[token]),
        {f"measure_{m.pk}": "-2", "what_we_did": "Säilyy"},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Luku ei voi olla negatiivinen." in page
    assert "Säilyy" in page
    assert CheckIn.objects.count() == 0


@pytest.mark.parametrize(
    ("mutate", "status", "text"),
    [
        (lambda link, token: token[:-2] + "xx", 404, "Linkki ei kelpaa"),
        (
            lambda link, token: services.checkin_link_revoke(link=link) and token,
            410,
            "Linkki ei ole enää voimassa",
        ),
    ],
)
def test_tampered_or_revoked_link_shows_clear_page(world, mutate, status, text):
    link, token = services.checkin_link_create(
        experiment=world["experiment"], slot=dt.date(2027, 2, 1)
    )
    bad = mutate(link, token)
    response = Client().post(reverse("experiments:checkin_link", args=[bad]), {"what_we_did": "x"})
    assert response.status_code == status
    assert text in response.content.decode()
    assert CheckIn.objects.count() == 0


def test_adopt_via_page_into_unit_contacts_unit(
    client, world, mailoutbox, django_capture_on_commit_callbacks
):
    login(client, world, Role.UNIT_CONTACT, unit=world["pori"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url(world, "adopt", world["experiment"].pk), {"unit": world["pori"].pk, "title": ""}
        )
    copy = Experiment.objects.get(adopted_from=world["experiment"])
    assert response.status_code == 302
    assert copy.unit == world["pori"]
    assert [m.to for m in mailoutbox] == [["oulu@example.org"]]


def test_decide_continue_via_page_opens_round_two(client, world):
    services.experiment_start(experiment=world["experiment"])
    login(client, world, Role.FACILITATOR)
    response = client.post(
        url(world, "decide", world["experiment"].pk), {"decision": "continue", "note": "Hyvä"}
    )
    second = Experiment.objects.get(previous_round=world["experiment"])
    assert response["Location"] == url(world, "detail", second.pk)
    assert "kierros 2" in client.get(response["Location"]).content.decode()


def test_results_page_shows_rollup_by_unit(client, world):
    e = world["experiment"]
    m = e.measures.get(measure_type=world["reached"])
    services.checkin_submit(experiment=e, slot=dt.date(2027, 2, 1), values={m.pk: 12})
    services.checkin_submit(experiment=e, slot=dt.date(2027, 2, 22), values={m.pk: 8})
    login(client, world, Role.VIEWER)
    page = client.get(url(world, "results")).content.decode()
    assert '<p class="exp-total__value" data-measure="uusia nuoria tavoitettu">20</p>' in page
    assert "<td>Oulun osasto</td><td>20</td><td>20</td>" in page


def test_detail_has_chart_and_table(client, world):
    e = world["experiment"]
    m = e.measures.get(measure_type=world["reached"])
    services.checkin_submit(experiment=e, slot=dt.date(2027, 2, 1), values={m.pk: 12})
    services.checkin_submit(experiment=e, slot=dt.date(2027, 2, 22), values={m.pk: 8})
    login(client, world, Role.FACILITATOR)
    page = client.get(url(world, "detail", e.pk)).content.decode()
    assert page.count('class="exp-chart"') == 1
    assert "<td>1.2.2027</td><td>12</td><td>12</td>" in page
    assert "<td>22.2.2027</td><td>8</td><td>20</td>" in page


def test_board_lists_units_not_reported_before_next_workshop(client, world):
    from polku.core.tests.factories import WorkshopDayFactory

    WorkshopDayFactory(path=world["path"], title="Seurantapaja")
    silent = services.experiment_create(path=world["path"], unit=world["pori"], title="Hiljainen")
    services.checkin_submit(experiment=world["experiment"], slot=dt.date.today(), values={})
    login(client, world, Role.FACILITATOR)
    page = client.get(url(world, "board")).content.decode()
    section = page.split('id="missing-h"')[1].split("</section>")[0]
    assert "Porin osasto: Hiljainen" in section
    assert "Kaveri mukaan -ilta" not in section
    assert silent.pk


def test_unit_contact_decides_own_experiment_but_cannot_scale_to_other_units(client, world):
    services.experiment_start(experiment=world["experiment"])
    login(client, world, Role.UNIT_CONTACT, unit=world["oulu"])
    page = client.get(url(world, "decide", world["experiment"].pk)).content.decode()
    assert "scale_to_units" not in page
    client.post(
        url(world, "decide", world["experiment"].pk),
        {"decision": "scale", "scale_to_units": [world["pori"].pk]},
    )
    world["experiment"].refresh_from_db()
    assert world["experiment"].decision == "scale"
    assert not Experiment.objects.filter(adopted_from=world["experiment"]).exists()


def test_unit_contact_must_choose_their_unit_for_a_new_experiment(client, world):
    login(client, world, Role.UNIT_CONTACT, unit=world["oulu"])
    response = client.post(url(world, "create"), {"title": "Ilman yksikköä", "unit": ""})
    assert response.status_code == 200
    assert "Tämä kenttä vaaditaan." in response.content.decode()
    assert not Experiment.objects.filter(title="Ilman yksikköä").exists()


def test_library_counts_copies_of_copies(world):
    from polku.experiments import selectors

    e = world["experiment"]
    m = e.measures.get(measure_type=world["reached"])
    services.checkin_submit(experiment=e, slot=dt.date(2027, 2, 1), values={m.pk: 25})
    services.experiment_update(experiment=e, targets={world["reached"]: 20})
    e.measures.filter(measure_type=world["stayed"]).delete()
    copy = services.experiment_adopt(original=e, unit=world["pori"])
    vaasa = UnitFactory(organisation=world["org"], name="Vaasan osasto")
    services.experiment_adopt(original=copy, unit=vaasa)
    [top] = selectors.practice_library(path=world["path"])
    assert (top, top.adoption_count) == (e, 2)


def test_logged_in_checkin_saves_once_per_period(client, world):
    login(client, world, Role.UNIT_CONTACT, unit=world["oulu"])
    m = world["experiment"].measures.get(measure_type=world["reached"])
    data = {f"measure_{m.pk}": "4", "what_we_did": "Ilta", "shareable": "on"}
    first = client.post(url(world, "checkin", world["experiment"].pk), data)
    assert first.status_code == 302
    page = client.get(first["Location"]).content.decode()
    assert "Kiitos! Kuulumiset tallennettiin." in page
    assert CheckIn.objects.get().source == "app"
    assert CheckInValue.objects.get().value == 4


def test_team_member_email_needs_consent_and_member_can_be_removed(client, world):
    login(client, world, Role.UNIT_CONTACT, unit=world["oulu"])
    action = url(world, "action", world["experiment"].pk)
    client.post(action, {"action": "add_member", "nickname": "Eetu", "email": "eetu@example.org"})
    assert not world["experiment"].members.exists()
    client.post(
        action,
        {"action": "add_member", "nickname": "Eetu", "email": "eetu@example.org", "consent": "on"},
    )
    member = world["experiment"].members.get()
    assert (member.nickname, member.email, member.consent_at is not None) == (
        "Eetu",
        "eetu@example.org",
        True,
    )
    client.post(action, {"action": "remove_member", "member": member.pk})
    assert not world["experiment"].members.exists()


def test_plan_form_lists_what_already_works_from_the_workshops(client, world):
    from polku.activities.models import ActivityResult
    from polku.core.tests.factories import AgendaSlotFactory, WorkshopDayFactory

    slot = AgendaSlotFactory(workshop_day=WorkshopDayFactory(path=world["path"]))
    ActivityResult.objects.create(
        path=world["path"], slot=slot, activity_type="what_works", kind="what_works",
        text="Mentori soittaa viikon päästä",
    )  # fmt: skip
    login(client, world, Role.FACILITATOR)
    page = client.get(url(world, "create")).content.decode()
    assert "Mikä jo toimii tällä polulla (työpajoista)" in page
    assert "<li>Mentori soittaa viikon päästä</li>" in page
