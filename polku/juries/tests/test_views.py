"""Jury pages: who may open what, and the flows a coordinator walks through."""

import io
import json

import pytest
from django.core import mail
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory, OrganisationFactory, UnitFactory
from polku.juries import lottery_adapter as lottery
from polku.juries.models import AuditEntry, Draw, Jury, JuryMember, LotteryRun
from polku.juries.services import members_invite
from polku.juries.tests.factories import drawn_jury, jury_with_pool, pool_file, standard_rows
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    org = OrganisationFactory(slug="home-org")
    jury, draw = drawn_jury(organisation=org)
    rec_unit = UnitFactory(organisation=org, code="C")
    users = {}
    for role, m_role, unit in [
        ("facilitator", Membership.Role.FACILITATOR, None),
        ("coordinator", Membership.Role.COORDINATOR, None),
        ("unit_contact", Membership.Role.UNIT_CONTACT, rec_unit),
        ("viewer", Membership.Role.VIEWER, None),
    ]:
        users[role] = MembershipFactory(organisation=org, role=m_role, unit=unit).user
    users["outsider"] = MembershipFactory(
        organisation=OrganisationFactory(), role=Membership.Role.FACILITATOR
    ).user
    return {"org": org, "jury": jury, "draw": draw, "users": users}


def _urls(w):
    o, j, d = w["org"].slug, w["jury"].pk, w["draw"].pk
    return {
        "list": reverse("juries:list", args=[o]),
        "detail": reverse("juries:detail", args=[o, j]),
        "edit": reverse("juries:edit", args=[o, j]),
        "pool": reverse("juries:pool", args=[o, j]),
        "quotas": reverse("juries:quotas", args=[o, j]),
        "lottery": reverse("juries:lottery", args=[o, j]),
        "file": reverse("juries:lottery_file", args=[o, j, d]),
        "fairness": reverse("juries:fairness", args=[o, j]),
        "fairness_csv": reverse("juries:fairness_csv", args=[o, j]),
        "panel": reverse("juries:panel", args=[o, j]),
        "audit": reverse("juries:audit", args=[o, j]),
        "recommendations": reverse("juries:recommendations", args=[o, j]),
        "statement": reverse("juries:statement", args=[o, j]),
    }


MANAGE_ONLY = {"edit", "pool", "quotas", "panel"}


@pytest.mark.parametrize(
    "role", ["facilitator", "coordinator", "unit_contact", "viewer", "outsider", "anonymous"]
)
def test_access_matrix(client, world, role):
    user = world["users"].get(role)
    if user is not None:
        client.force_login(user)
    for name, url in _urls(world).items():
        status = client.get(url).status_code
        if role == "anonymous":
            expected = 302
        elif role == "outsider":
            expected = 404
        elif role == "unit_contact":
            expected = 403
        elif role == "viewer":
            expected = 403 if name in MANAGE_ONLY else 200
        else:
            expected = 200
        assert status == expected, (role, name, status)


def test_viewer_never_sees_names_or_emails(client, world):
    client.force_login(world["users"]["viewer"])
    for name in ("lottery", "fairness", "detail", "audit"):
        page = client.get(_urls(world)[name]).content.decode()
        assert "Henkilö" not in page, name
        assert "@example.org" not in page, name


def test_other_organisation_jury_is_404(client, world):
    other_jury = jury_with_pool()
    client.force_login(world["users"]["facilitator"])
    url = reverse("juries:detail", args=[world["org"].slug, other_jury.pk])
    assert client.get(url).status_code == 404


def test_jury_list_query_count(client, world, django_assert_num_queries):
    client.force_login(world["users"]["coordinator"])
    url = _urls(world)["list"]
    client.get(url)
    with django_assert_num_queries(5):
        client.get(url)
    from polku.juries.services import jury_create

    jury_create(
        path=world["jury"].path, question="Toinen", commissioner="J", commitment="C", panel_size=3
    )
    with django_assert_num_queries(5):
        page = client.get(url).content.decode()
    assert page.count('href="/o/home-org/juries/') == 2


@pytest.fixture
def coordinator(client):
    membership = MembershipFactory(role=Membership.Role.COORDINATOR)
    client.force_login(membership.user)
    client.membership = membership
    return client


def test_create_jury_then_import_pool_with_errors_then_good_file(coordinator):
    org = coordinator.membership.organisation
    jury = jury_with_pool(organisation=org)  # gives the org units A and B and a path
    path = jury.path
    response = coordinator.post(
        reverse("juries:create", args=[org.slug]) + f"?path={path.pk}",
        {
            "path": path.pk,
            "question": "Miten perehdytys toimii?",
            "commissioner": "Johtaja",
            "commitment": "Vastaan kuukaudessa.",
            "response_days": 28,
            "panel_size": 4,
            "sessions": [path.workshop_days.first().pk],
        },
    )
    new = Jury.objects.get(question="Miten perehdytys toimii?")
    assert response.status_code == 302
    assert response["Location"] == reverse("juries:pool", args=[org.slug, new.pk])
    assert list(new.sessions.all()) == [path.workshop_days.first()]

    rows = standard_rows()
    rows[2] = (rows[2][0], rows[2][1], "ei-osoite", *rows[2][3:])
    upload = io.BytesIO(pool_file(rows))
    upload.name = "joukko.csv"
    page = coordinator.post(
        reverse("juries:pool", args=[org.slug, new.pk]), {"action": "import", "file": upload}
    ).content.decode()
    assert "Mitään ei tuotu." in page
    assert "Rivi 4: sähköpostiosoite ei-osoite ei kelpaa." in page
    assert new.pool.count() == 0

    upload = io.BytesIO(pool_file(standard_rows()))
    upload.name = "joukko.csv"
    response = coordinator.post(
        reverse("juries:pool", args=[org.slug, new.pk]), {"action": "import", "file": upload}
    )
    assert response.status_code == 302
    assert new.pool.count() == 12


def test_quota_form_saves_and_proportional_button_computes_seats(coordinator):
    org = coordinator.membership.organisation
    jury = jury_with_pool(organisation=org)
    url = reverse("juries:quotas", args=[org.slug, jury.pk])
    page = coordinator.get(url).content.decode()
    # attributes in the file's column order: unit(0), rooli(1), vuoro(2); values in the order
    # they first appear
    assert 'name="q-0-0-min"' in page
    response = coordinator.post(
        url,
        {
            "q-0-0-share": "50",
            "q-0-1-share": "50",
            "reason": "Osastot puoliksi",
            "action": "proportional",
        },
    )
    assert response.status_code == 302
    assert sorted(jury.quotas.values_list("attribute", "value", "min_seats", "max_seats")) == [
        ("unit", "Osasto A", 2, 2),
        ("unit", "Osasto B", 2, 2),
    ]
    page = coordinator.get(url).content.decode()
    assert "Kiintiöt voivat toteutua" in page


def test_quota_form_without_reason_keeps_input(coordinator):
    org = coordinator.membership.organisation
    jury = jury_with_pool(organisation=org)
    url = reverse("juries:quotas", args=[org.slug, jury.pk])
    response = coordinator.post(
        url, {"q-0-0-min": "3", "q-0-0-max": "x", "reason": "", "action": "save"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Paikkojen on oltava kokonaislukuja" in page
    response = coordinator.post(
        url, {"q-0-0-min": "3", "q-0-0-max": "4", "reason": "", "action": "save"}
    )
    page = response.content.decode()
    assert "Kirjoita, miksi kiintiöt asetetaan" in page
    assert 'name="q-0-0-min" value="3"' in page
    assert jury.quotas.count() == 0


def test_lottery_flow_preview_leximin_commit_draw(coordinator, django_capture_on_commit_callbacks):
    org = coordinator.membership.organisation
    jury = jury_with_pool(organisation=org)
    coordinator.post(
        reverse("juries:quotas", args=[org.slug, jury.pk]),
        {
            "q-1-0-min": "2",
            "q-1-0-max": "2",
            "q-1-1-min": "2",
            "q-1-1-max": "2",
            "reason": "puoliksi",
            "action": "save",
        },
    )
    action = reverse("juries:lottery_action", args=[org.slug, jury.pk])
    coordinator.post(action, {"action": "preview"})
    assert jury.runs.get().method == "maximin"
    with django_capture_on_commit_callbacks(execute=True):
        coordinator.post(action, {"action": "leximin"})
    run = jury.runs.get(method="leximin")
    assert run.status == LotteryRun.Status.DONE
    status = coordinator.get(reverse("juries:run_status", args=[org.slug, jury.pk, run.pk]))
    assert status["HX-Refresh"] == "true"
    page = coordinator.get(reverse("juries:lottery", args=[org.slug, jury.pk])).content.decode()
    assert "Julkaise arvonnan tiiviste" in page
    coordinator.post(action, {"action": "commit", "run": run.pk})
    draw = Draw.objects.get(jury=jury)
    page = coordinator.get(reverse("juries:lottery", args=[org.slug, jury.pk])).content.decode()
    assert draw.commitment in page
    response = coordinator.post(
        action, {"action": "draw", "kind": "dice", "digits": "2 4 6 1 5 3"}, follow=True
    )
    page = response.content.decode()
    assert "Raati on arvottu." in page
    draw.refresh_from_db()
    assert draw.panel_index is not None
    for pseudonym in lottery.slot_panel(draw.lottery, draw.panel_index):
        assert pseudonym in page


def test_redraw_without_reason_is_refused_with_message(coordinator):
    org = coordinator.membership.organisation
    jury, draw = drawn_jury(organisation=org)
    response = coordinator.post(
        reverse("juries:lottery_action", args=[org.slug, jury.pk]),
        {"action": "void", "reason": ""},
        follow=True,
    )
    assert "Kirjoita uuden arvonnan syy (vähintään 10 merkkiä)" in response.content.decode()
    draw.refresh_from_db()
    assert draw.voided_at is None


def test_lottery_file_download_and_public_verify_page(client, coordinator):
    org = coordinator.membership.organisation
    jury, draw = drawn_jury(organisation=org)
    response = coordinator.get(reverse("juries:lottery_file", args=[org.slug, jury.pk, draw.pk]))
    data = json.loads(response.content)
    assert data["commitment"] == draw.commitment
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="raati-{jury.pk}-arvonta-{draw.pk}.json"'
    )
    anonymous = type(client)()
    upload = io.BytesIO(response.content)
    upload.name = "arvonta.json"
    page = anonymous.post(reverse("juries:verify"), {"file": upload}).content.decode()
    assert "Arvonta on kunnossa." in page
    data["draw"]["input"] = "6666"
    upload = io.BytesIO(json.dumps(data).encode())
    upload.name = "arvonta.json"
    page = anonymous.post(reverse("juries:verify"), {"file": upload}).content.decode()
    assert "Arvonta ei ole kunnossa:" in page
    upload = io.BytesIO(b"\x00not json")
    upload.name = "x.json"
    response = anonymous.post(reverse("juries:verify"), {"file": upload})
    assert response.status_code == 200
    assert "Tiedosto ei ole Polun arvontatiedosto." in response.content.decode()


def test_fairness_csv(coordinator):
    org = coordinator.membership.organisation
    jury, _draw = drawn_jury(organisation=org)
    body = coordinator.get(reverse("juries:fairness_csv", args=[org.slug, jury.pk])).content.decode(
        "utf-8-sig"
    )
    lines = body.splitlines()
    assert (
        lines[0]
        == "pseudonym,probability,solver_probability,equal_share_k_over_n,below_equal_share"
    )
    assert len([line for line in lines[1:13] if line.startswith("R-")]) == 12
    assert "gini," in body
    assert "unit,Osasto A,2,2,2" in body


def test_member_magic_link_accept_vote_and_decline_replacement(
    client, django_capture_on_commit_callbacks
):
    jury, _draw = drawn_jury()
    with django_capture_on_commit_callbacks(execute=True):
        members_invite(jury=jury, actor=None)
    tokens = [
        next(line for line in m.body.splitlines() if "/jury/m/" in line)
        .rsplit("/jury/m/", 1)[1]
        .strip("/")
        for m in mail.outbox
    ]
    url = reverse("juries:member", args=[tokens[0]])
    page = client.get(url).content.decode()
    assert "Lähden mukaan" in page
    client.post(url, {"action": "accept"})
    assert JuryMember.objects.filter(status=JuryMember.Status.ACCEPTED).count() == 1
    from polku.juries.services import recommendation_create

    rec = recommendation_create(jury=jury, title="Yksi numero", body="", actor_label="raati")
    response = client.post(url, {"action": "vote", f"level-{rec.pk}": "4"}, follow=True)
    assert "Näkemyksesi tallennettiin." in response.content.decode()
    assert rec.votes.get().level == 4
    response = client.post(url, {"action": "vote", f"level-{rec.pk}": "9"}, follow=True)
    assert "Valitse yksi viidestä vaihtoehdosta." in response.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("juries:member", args=[tokens[1]]), {"action": "decline"})
    assert response["Location"] == reverse("juries:member_done")
    assert AuditEntry.objects.filter(jury=jury, action="replacement").count() == 1
    assert client.get(reverse("juries:member", args=[tokens[1]])).status_code == 404
    assert client.get(reverse("juries:member", args=["bogus"])).status_code == 404


def test_member_edit_conflict_shows_both_versions(client, django_capture_on_commit_callbacks):
    jury, _draw = drawn_jury()
    with django_capture_on_commit_callbacks(execute=True):
        members_invite(jury=jury, actor=None)
    token = (
        next(line for line in mail.outbox[0].body.splitlines() if "/jury/m/" in line)
        .rsplit("/jury/m/", 1)[1]
        .strip("/")
    )
    client.post(reverse("juries:member", args=[token]), {"action": "accept"})
    from polku.juries.services import recommendation_create, recommendation_update

    rec = recommendation_create(jury=jury, title="Otsikko", body="alku", actor_label="raati")
    recommendation_update(
        recommendation=rec,
        title="Otsikko",
        body="toisen teksti",
        expected_version=1,
        actor_label="R-X",
    )
    response = client.post(
        reverse("juries:member_edit", args=[token, rec.pk]),
        {"title": "Otsikko", "body": "minun tekstini", "version": 1},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Joku muu tallensi tämän suosituksen" in page
    assert "minun tekstini" in page
    assert "toisen teksti" in page
    rec.refresh_from_db()
    assert rec.body == "toisen teksti"


def _pdf_text(content: bytes) -> str:
    from io import BytesIO

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(BytesIO(content)).pages)


def test_accepted_recommendation_becomes_a_unit_owned_experiment_shown_both_ways(coordinator):
    from polku.experiments.services import experiment_report, experiment_start

    org = coordinator.membership.organisation
    jury, _draw = drawn_jury(organisation=org)
    unit = org.units.get(code="A")
    coordinator.post(
        reverse("juries:recommendations", args=[org.slug, jury.pk]),
        {"title": "Takaisinsoitto", "body": "Samana päivänä."},
    )
    rec = jury.recommendations.get()
    coordinator.post(
        reverse("juries:statement", args=[org.slug, jury.pk]), {"intro": "Raati suosittaa."}
    )
    jury.refresh_from_db()
    url = reverse("juries:response", args=[org.slug, jury.pk, rec.pk])
    coordinator.post(url, {"action": "response", "decision": "accepted", "reasons": "Hyvä."})
    public_url = reverse("juries:public_statement", args=[jury.public_token])
    anonymous = type(coordinator)()
    assert (
        "Mikään yksikkö ei ole vielä ottanut tätä hoitaakseen"
        in anonymous.get(public_url).content.decode()
    )
    # no unit or no contact: refused with the reason, nothing created
    response = coordinator.post(
        url, {"action": "followup", "action-title": "Takaisinsoiton kokeilu"}
    )
    page = response.content.decode()
    assert "Tämä kenttä vaaditaan." in page
    assert rec.actions.count() == 0
    response = coordinator.post(
        url,
        {
            "action": "followup",
            "action-title": "Takaisinsoiton kokeilu",
            "action-unit": str(unit.pk),
            "action-contact_email": "oh@example.org",
            "action-owner": "OH",
            "action-due_on": "2027-05-01",
        },
    )
    assert response.status_code == 302
    action = rec.actions.get()
    experiment = action.experiment
    assert (experiment.unit, experiment.contact_email, experiment.path_id) == (
        unit,
        "oh@example.org",
        jury.path_id,
    )
    assert experiment.topic_title == "Raadin suositus: Takaisinsoitto"
    assert AuditEntry.objects.filter(jury=jury, action="action_created").get().payload == {
        "recommendation": rec.pk,
        "position": 1,
        "action": action.pk,
        "title": "Takaisinsoiton kokeilu",
        "experiment": experiment.pk,
        "unit": "Osasto A",
    }
    # the experiment names its origin, with a link to the public statement
    detail = coordinator.get(
        reverse("experiments:detail", args=[org.slug, jury.path_id, experiment.pk])
    ).content.decode()
    assert (
        "Organisaatioraadista ”Miten vastaanotto toimii paremmin?”: suositus 1, ”Takaisinsoitto”."
        in detail
    )
    assert f'href="{public_url}#rec-{rec.pk}"' in detail
    # the statement, the public page and the PDF show what is being done and how far it got
    page = coordinator.get(reverse("juries:statement", args=[org.slug, jury.pk])).content.decode()
    assert reverse("experiments:detail", args=[org.slug, jury.path_id, experiment.pk]) in page
    public = anonymous.get(public_url).content.decode()
    assert "Mitä tehdään" in public
    assert "Takaisinsoiton kokeilu" in public and "Osasto A" in public
    assert '<span class="badge badge--planned">suunniteltu</span>' in public
    assert "oh@example.org" not in public
    experiment_start(experiment=experiment)
    public = anonymous.get(public_url).content.decode()
    assert '<span class="badge badge--running">käynnissä</span>' in public
    experiment_report(experiment=experiment, summary="Jonot lyhenivät puoleen.")
    public = anonymous.get(public_url).content.decode()
    assert "Mitä siitä tuli: Jonot lyhenivät puoleen." in public
    pdf = coordinator.get(reverse("juries:statement_pdf", args=[org.slug, jury.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    text = _pdf_text(pdf.content)
    assert "Mitä tehdään" in text
    assert "Takaisinsoiton kokeilu · Osasto A · raportoitu" in text
    assert "Mitä siitä tuli: Jonot lyhenivät puoleen." in text
    public_pdf = anonymous.get(public_url + "?format=pdf")
    assert "Takaisinsoiton kokeilu · Osasto A · raportoitu" in _pdf_text(public_pdf.content)


def test_volunteer_signup_link_adds_pseudonymised_pool_member(client, coordinator):
    from polku.juries import services

    org = coordinator.membership.organisation
    jury = jury_with_pool(organisation=org)
    services.jury_attribute_values_set(jury=jury, text="vuoro: aamu, ilta, yö", actor=None)
    coordinator.post(reverse("juries:pool", args=[org.slug, jury.pk]), {"action": "signup_open"})
    jury.refresh_from_db()
    url = reverse("juries:signup", args=[jury.signup_token])
    anonymous = type(client)()
    page = anonymous.get(url).content.decode()
    assert "Ilmoittaudu organisaatioraatiin" in page
    response = anonymous.post(
        url,
        {
            "name": "Uusi Vapaaehtoinen",
            "email": "Uusi@Example.org",
            "attr_0": "Osasto B",
            "attr_1": "ilta",
            "consent": "on",
        },
    )
    assert "Kiitos ilmoittautumisesta!" in response.content.decode()
    member = jury.pool.get(external_id="uusi@example.org")
    assert member.attributes == {"unit": "Osasto B", "vuoro": "ilta"}
    assert member.pseudonym.startswith("R-")
    again = anonymous.post(
        url,
        {
            "name": "X",
            "email": "uusi@example.org",
            "attr_0": "Osasto B",
            "attr_1": "ilta",
            "consent": "on",
        },
    )
    assert "Tämä sähköpostiosoite on jo ilmoittautunut. Kiitos!" in again.content.decode()
    bad = anonymous.post(
        url, {"name": "Y", "email": "y@example.org", "attr_0": "Mars", "attr_1": "ilta"}
    )
    assert bad.status_code == 200
    assert jury.pool.filter(external_id="y@example.org").count() == 0
    coordinator.post(reverse("juries:pool", args=[org.slug, jury.pk]), {"action": "signup_close"})
    assert anonymous.get(url).status_code == 404


def test_published_statement_has_a_public_link_without_names(client, coordinator):
    from polku.juries import services

    org = coordinator.membership.organisation
    jury, _draw = drawn_jury(organisation=org)
    services.recommendation_create(jury=jury, title="Yksi numero", body="Teksti", actor_label="R-1")
    assert jury.public_token is None
    services.statement_publish(jury=jury, intro="Johdanto", actor=None)
    jury.refresh_from_db()
    anonymous = type(client)()
    page = anonymous.get(
        reverse("juries:public_statement", args=[jury.public_token])
    ).content.decode()
    assert "Yksi numero" in page
    assert "Henkilö" not in page
    pdf = anonymous.get(
        reverse("juries:public_statement", args=[jury.public_token]) + "?format=pdf"
    )
    assert pdf.content[:5] == b"%PDF-"
    assert anonymous.get(reverse("juries:public_statement", args=["nope"])).status_code == 404
    page = coordinator.get(reverse("juries:statement", args=[org.slug, jury.pk])).content.decode()
    assert reverse("juries:public_statement", args=[jury.public_token]) in page


GARBAGE = ["", "abc", "-1", "1e999", "nan", "9" * 40, "<script>", "0x10", "1.5", "inf"]


def test_garbage_input_never_gives_a_server_error(client, coordinator):
    org = coordinator.membership.organisation
    jury = jury_with_pool(organisation=org)
    base = (org.slug, jury.pk)
    for value in GARBAGE:
        posts = [
            (
                reverse("juries:quotas", args=base),
                {
                    "q-1-0-min": value,
                    "q-1-0-max": value,
                    "q-1-0-share": value,
                    "reason": "x",
                    "action": "proportional",
                },
            ),
            (
                reverse("juries:quotas", args=base),
                {"q-1-0-min": value, "q-1-1-share": value, "reason": value, "action": "save"},
            ),
            (reverse("juries:lottery_action", args=base), {"action": "commit", "run": value}),
            (
                reverse("juries:lottery_action", args=base),
                {"action": "draw", "kind": value, "digits": value},
            ),
            (reverse("juries:lottery_action", args=base), {"action": "void", "reason": value}),
            (
                reverse("juries:pool", args=base),
                {"action": "exclude", "pseudonym": value, "excluded": "on", "reason": value},
            ),
            (reverse("juries:pool", args=base), {"action": "values", "text": value}),
            (reverse("juries:recommendations", args=base), {"title": value, "body": value}),
            (reverse("juries:statement", args=base), {"intro": value}),
        ]
        for url, data in posts:
            status = coordinator.post(url, data).status_code
            assert status in (200, 302, 404), (url, data, status)
    anonymous = type(client)()
    assert anonymous.get(reverse("juries:member", args=["x" * 500])).status_code == 404
    assert anonymous.get(reverse("juries:create", args=[org.slug]) + "?path=abc").status_code == 302
    assert (
        coordinator.get(reverse("juries:create", args=[org.slug]) + "?path=abc").status_code == 404
    )


def test_juror_vote_with_garbage_recommendation_id_is_a_message(
    client, django_capture_on_commit_callbacks
):
    jury, _draw = drawn_jury()
    with django_capture_on_commit_callbacks(execute=True):
        members_invite(jury=jury, actor=None)
    token = (
        next(line for line in mail.outbox[0].body.splitlines() if "/jury/m/" in line)
        .rsplit("/jury/m/", 1)[1]
        .strip("/")
    )
    url = reverse("juries:member", args=[token])
    client.post(url, {"action": "accept"})
    for value in GARBAGE:
        response = client.post(
            url, {"action": "vote", "recommendation": value, "level": value}, follow=True
        )
        assert response.status_code == 200
        assert "Valitse yksi viidestä vaihtoehdosta." in response.content.decode()
