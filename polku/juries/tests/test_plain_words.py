"""Jury pages in plain words for an HR person who has never heard of LEXIMIN: the promise as a
sentence, technical figures behind "show details", infeasible quotas refused (red, nothing
saved, no green "saved"), quotas in the declared order, the invitation email's grammar."""

import pytest
from django.core import mail
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory
from polku.juries import services
from polku.juries.tests.factories import drawn_jury, half_and_half_quotas, jury_with_pool
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    membership = MembershipFactory(role=Membership.Role.COORDINATOR)
    client.force_login(membership.user)
    client.org = membership.organisation
    return client


def _outside_details(page: str) -> str:
    """The page without its <details> blocks (what you read before "show details")."""
    out, rest = [], page
    while "<details" in rest:
        before, _sep, after = rest.partition("<details")
        out.append(before)
        rest = after.partition("</details>")[2]
    return "".join(out) + rest


def test_lottery_page_says_the_promise_in_plain_words_and_hides_the_maths(coordinator):
    jury = jury_with_pool(organisation=coordinator.org)
    half_and_half_quotas(jury)
    services.run_preview(jury=jury, actor=None)
    services.run_leximin_start(jury=jury, actor=None, background=False)
    page = coordinator.get(reverse("juries:lottery", args=[coordinator.org.slug, jury.pk]))
    page = page.content.decode()
    plain = _outside_details(page)
    assert "Jokaisella vapaaehtoisella on vähintään 33,3 %:n mahdollisuus tulla valituksi." in plain
    assert (
        "Ilman kiintiöitä jokaisen mahdollisuus olisi 33,3 % (4 paikkaa, 12 vapaaehtoista)."
        in plain
    )
    for technical in ("duaalirajaan", "Optimaalisuuden todistus", "4/12", "0,3333"):
        assert technical not in plain, technical
    assert "Näytä tarkemmin" in page
    assert "Optimaalisuuden todistus" in page  # still there, behind "show details"


def test_fairness_page_states_the_figure_of_the_lottery_actually_drawn(coordinator):
    jury, _draw = drawn_jury(organisation=coordinator.org)
    page = coordinator.get(reverse("juries:fairness", args=[coordinator.org.slug, jury.pk]))
    plain = _outside_details(page.content.decode())
    # 1/3 each, rounded to 1,000 slots: 333 or 334 slots, so at least 33.3 %
    assert "Julkaistussa arvonnassa" in plain
    assert (
        '<p class="jury-promise" id="promise">Jokaisella vapaaehtoisella on vähintään 33,3 %:n '
        "mahdollisuus tulla valituksi.</p>" in plain
    )
    assert "Arvonnassa on 1\xa0000 yhtä todennäköistä raatia" in plain
    assert "Gini" not in plain


def test_infeasible_quotas_are_refused_in_red_and_nothing_is_saved(coordinator):
    jury = jury_with_pool(organisation=coordinator.org, panel_size=4)
    half_and_half_quotas(jury)
    url = reverse("juries:quotas", args=[coordinator.org.slug, jury.pk])
    response = coordinator.post(
        url,
        {
            "q-0-0-min": "3",
            "q-0-0-max": "4",
            "q-0-1-min": "3",
            "q-0-1-max": "4",
            "reason": "liian tiukka",
            "action": "save",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Kiintiöitä ei tallennettu: ne eivät voi toteutua kaikki yhtä aikaa." in page
    assert "Kiintiöt tallennettu." not in page
    assert "Kiintiöt voivat toteutua" not in page
    assert 'name="q-0-0-min" value="3"' in page  # what was typed stays in the form
    assert [(q.min_seats, q.max_seats) for q in jury.quotas.all()] == [(2, 2), (2, 2)]


def test_quota_rows_follow_the_declared_order_not_the_alphabet(coordinator):
    rows = [
        ("p1", "A", "a@example.org", "A", "yö", "alle 35"),
        ("p2", "B", "b@example.org", "B", "päivä", "50+"),
        ("p3", "C", "c@example.org", "A", "ilta", "35–49"),
        ("p4", "D", "d@example.org", "B", "päivä", "alle 35"),
        ("p5", "E", "e@example.org", "A", "ilta", "50+"),
    ]
    jury = jury_with_pool(
        organisation=coordinator.org,
        panel_size=2,
        rows=rows,
        header="id,nimi,sähköposti,yksikkö,vuoro,ikäryhmä",
    )
    services.jury_attribute_values_set(
        jury=jury, text="ikäryhmä: alle 35, 35–49, 50+\nvuoro: päivä, ilta, yö", actor=None
    )
    page = coordinator.get(reverse("juries:quotas", args=[coordinator.org.slug, jury.pk]))
    page = page.content.decode()

    def order(values):
        return sorted(values, key=lambda v: page.index(f'<th scope="row">{v}</th>'))

    assert order(["50+", "35–49", "alle 35"]) == ["alle 35", "35–49", "50+"]
    assert order(["yö", "ilta", "päivä"]) == ["päivä", "ilta", "yö"]
    # columns in the file's order: unit, shift, age band
    assert page.index("<legend>yksikkö</legend>") < page.index("<legend>vuoro</legend>")
    assert page.index("<legend>vuoro</legend>") < page.index("<legend>ikäryhmä</legend>")
    # saved quotas keep that order on the other pages too
    coordinator.post(
        reverse("juries:quotas", args=[coordinator.org.slug, jury.pk]),
        {"q-2-0-min": "0", "q-2-2-min": "0", "reason": "ikäryhmät", "action": "save"},
    )
    assert list(jury.quotas.values_list("value", flat=True)) == ["alle 35", "50+"]


def test_invitation_email_names_the_organisation_without_a_broken_genitive(
    django_capture_on_commit_callbacks,
):
    jury, _draw = drawn_jury()
    jury.organisation.name = "Testin terveysasema"
    jury.organisation.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.members_invite(jury=jury, actor=None)
    body = mail.outbox[0].body
    assert (
        "Ilmoittauduit vapaaehtoiseksi organisaatioraatiin, ja sinut valittiin reilulla, "
        "julkisella arvonnalla." in body
    )
    assert "Organisaatio: Testin terveysasema" in body
    assert "organisaation Testin terveysasema" not in body


def test_leximin_progress_is_reported_as_people_settled_level_by_level():
    from polku.juries import lottery_adapter as lottery

    jury = jury_with_pool()
    half_and_half_quotas(jury)
    seen = []
    instance = lottery.instance_from_dict(services.jury_instance_data(jury=jury))
    result = lottery.solve(instance, method="leximin", progress=seen.append)
    levels = len(result["report"]["levels"])
    assert [s["level"] for s in seen] == list(range(1, levels + 1))
    fixed = [s["fixed"] for s in seen]
    assert fixed == sorted(fixed) and fixed[-1] == 12
    assert seen[-1] == {"level": levels, "fixed": 12, "total": 12, "estimated_levels": levels}
    run = services.run_leximin_start(jury=jury, actor=None, background=False)
    run.refresh_from_db()
    assert run.progress["fixed"] == run.progress["total"] == 12
    assert run.result["report"]["cpu_seconds"] >= 0


def test_running_leximin_shows_a_bar_of_steps_done_out_of_estimated_steps(coordinator, monkeypatch):
    """While the task solves, every level it finishes reaches the polled status fragment as a
    bar of levels done over the estimated levels, with the people settled below it."""
    from polku.juries import lottery_adapter as lottery

    jury = jury_with_pool(organisation=coordinator.org)
    half_and_half_quotas(jury)
    run = services.run_leximin_start(jury=jury, actor=None, background=True)
    url = reverse("juries:run_status", args=[coordinator.org.slug, jury.pk, run.pk])
    seen: list[tuple[dict, str]] = []
    solve = lottery.solve

    def solve_and_poll(instance, *, method, progress):
        def tell(state):
            progress(state)  # what the task writes to the run
            seen.append((state, coordinator.get(url).content.decode()))

        return solve(instance, method=method, progress=tell)

    monkeypatch.setattr(lottery, "solve", solve_and_poll)
    services.run_execute(run=run)
    assert seen
    for state, fragment in seen:
        level, estimate = state["level"], state["estimated_levels"]
        assert f'max="{estimate}" value="{level}"' in fragment
        noun = "vaihe" if estimate == 1 else "vaihetta"
        assert f"{level} / noin {estimate} {noun} valmiina." in fragment
        assert (
            f"{state['fixed']}/{state['total']} vapaaehtoisen mahdollisuus on laskettu" in fragment
        )
        assert 'hx-trigger="every 2s"' in fragment  # still polling
    assert [state["level"] for state, _ in seen] == list(range(1, len(seen) + 1))
    assert seen[-1][0]["level"] == seen[-1][0]["estimated_levels"]  # the last bar is full
    finished = coordinator.get(url)
    assert finished["HX-Refresh"] == "true"
