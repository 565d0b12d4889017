"""Jurors vote on every recommendation on one phone screen: each tap is saved without a reload
(htmx swaps only that card), and the tally stays hidden until they have voted — or until the
facilitator reveals it, as the jury chose."""

import pytest
from django.core import mail
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory
from polku.juries import services
from polku.juries.models import Jury, JuryMember
from polku.juries.tests.factories import drawn_jury
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def juror(client, django_capture_on_commit_callbacks):
    jury, _draw = drawn_jury()
    with django_capture_on_commit_callbacks(execute=True):
        services.members_invite(jury=jury, actor=None)
    tokens = [
        next(line for line in m.body.splitlines() if "/jury/m/" in line)
        .rsplit("/jury/m/", 1)[1]
        .strip("/")
        for m in mail.outbox
    ]
    members = [services.member_by_token(token=t) for t in tokens]
    for m in members:
        services.member_respond(member=m, accept=True)
    recs = [
        services.recommendation_create(jury=jury, title=f"Suositus {i}", body="", actor_label="x")
        for i in (1, 2, 3)
    ]
    return {
        "jury": jury,
        "members": members,
        "recs": recs,
        "url": reverse("juries:member", args=[tokens[0]]),
    }


def test_one_tap_saves_the_view_and_returns_only_that_card_with_the_tally(client, juror):
    page = client.get(juror["url"]).content.decode()
    for rec in juror["recs"]:
        assert f'name="level-{rec.pk}"' in page
        assert f'hx-post="{juror["url"]}"' in page
    assert "Olet antanut näkemyksesi 0/3 suositukseen." in page
    assert "Kannatus" not in page  # no tally before voting
    # someone else has already voted on recommendation 1
    services.vote_cast(member=juror["members"][1], recommendation=juror["recs"][0], level=1)
    assert "Kannatus" not in client.get(juror["url"]).content.decode()
    rec = juror["recs"][0]
    response = client.post(
        juror["url"],
        {"action": "vote", "recommendation": rec.pk, f"level-{rec.pk}": "4"},
        headers=HTMX,
    )
    assert response.status_code == 200
    fragment = response.content.decode()
    assert "<html" not in fragment  # a fragment, not a page
    assert "✓ Tallennettu." in fragment
    assert "Kannatus 50 % (2 ääntä)" in fragment
    assert '<span id="vote-progress" hx-swap-oob="innerHTML">' in fragment
    assert "Olet antanut näkemyksesi 1/3 suositukseen." in fragment
    assert rec.votes.get(member=juror["members"][0]).level == 4
    # the other recommendations' tallies stay hidden until voted on
    services.vote_cast(member=juror["members"][1], recommendation=juror["recs"][1], level=5)
    page = client.get(juror["url"]).content.decode()
    assert page.count("Kannatus") == 1
    # a changed view replaces the old one
    client.post(
        juror["url"],
        {"action": "vote", "recommendation": rec.pk, f"level-{rec.pk}": "2"},
        headers=HTMX,
    )
    assert rec.votes.get(member=juror["members"][0]).level == 2


def test_bad_or_foreign_votes_get_a_message_in_the_card(client, juror):
    rec = juror["recs"][0]
    for data in (
        {"action": "vote", "recommendation": rec.pk, f"level-{rec.pk}": "9"},
        {"action": "vote", "recommendation": rec.pk, f"level-{rec.pk}": ["4", "5"]},
        {"action": "vote", "recommendation": "x"},
        {"action": "vote", "recommendation": drawn_jury()[0].pk},
    ):
        response = client.post(juror["url"], data, headers=HTMX)
        assert response.status_code == 200
        assert "Valitse yksi viidestä vaihtoehdosta." in response.content.decode()
    assert rec.votes.count() == 0


def test_without_javascript_all_views_are_saved_with_one_button(client, juror):
    recs = juror["recs"]
    response = client.post(
        juror["url"],
        {"action": "vote", f"level-{recs[0].pk}": "5", f"level-{recs[2].pk}": "3"},
        follow=True,
    )
    assert "2 näkemystäsi tallennettiin." in response.content.decode()
    assert [r.votes.count() for r in recs] == [1, 0, 1]


def test_facilitator_reveal_mode_hides_tallies_after_voting_until_revealed(client, juror):
    jury = juror["jury"]
    services.jury_update(jury=jury, actor=None, tally_visibility=Jury.TallyVisibility.WHEN_REVEALED)
    rec = juror["recs"][0]
    fragment = client.post(
        juror["url"],
        {"action": "vote", "recommendation": rec.pk, f"level-{rec.pk}": "5"},
        headers=HTMX,
    ).content.decode()
    assert "Kannatus" not in fragment
    assert "Kiitos. Fasilitaattori näyttää kaikkien näkemykset, kun äänestys on valmis." in fragment
    # the facilitator sees the tally and how many have voted, and reveals it
    coordinator = type(client)()
    membership = MembershipFactory(organisation=jury.organisation, role=Membership.Role.COORDINATOR)
    coordinator.force_login(membership.user)
    url = reverse("juries:recommendations", args=[jury.organisation.slug, jury.pk])
    page = coordinator.get(url).content.decode()
    assert "1/4 raatilaisesta on äänestänyt." in page
    assert "Raatilaiset eivät näe tuloksia ennen kuin näytät ne." in page
    assert "Kannatus 100 % (1 ääni)" in page
    coordinator.post(url, {"action": "reveal"})
    jury.refresh_from_db()
    assert jury.tallies_revealed_at is not None
    page = client.get(juror["url"]).content.decode()
    assert page.count("Kannatus 100 % (1 ääni)") == 1
    assert page.count("Ei vielä ääniä.") == 2  # every card shows its tally, voted on or not
    assert "Muiden näkemykset näkyvät tässä" not in page
    assert JuryMember.objects.filter(jury=jury).count() == 4
