"""The panel page manages invitations: send again, a new link to copy, a decline or a withdrawal
given by phone, the juror's own withdrawal — each in the audit log — and counts seats by state."""

import random

import pytest
from django.core import mail
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory
from polku.juries import services
from polku.juries.lottery.instance import Instance, Person, Quota
from polku.juries.lottery.replacement import find_replacement
from polku.juries.models import AuditEntry, JuryMember, Vote
from polku.juries.tests.factories import drawn_jury
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db


def _token(message) -> str:
    line = next(line for line in message.body.splitlines() if "/jury/m/" in line)
    return line.rsplit("/jury/m/", 1)[1].strip("/")


@pytest.fixture
def coordinator(client):
    membership = MembershipFactory(
        role=Membership.Role.COORDINATOR, user__name="Kaisa Koordinaattori"
    )
    client.force_login(membership.user)
    client.membership = membership
    return client


@pytest.fixture
def panel(coordinator, django_capture_on_commit_callbacks):
    org = coordinator.membership.organisation
    jury, draw = drawn_jury(organisation=org)
    with django_capture_on_commit_callbacks(execute=True):
        services.members_invite(jury=jury, actor=None)
    members = list(JuryMember.objects.filter(draw=draw).select_related("pool_member"))
    tokens = {}
    for message in mail.outbox:
        member = services.member_by_token(token=_token(message))
        tokens[member.pk] = _token(message)
    mail.outbox.clear()
    return {
        "jury": jury,
        "draw": draw,
        "members": members,
        "tokens": tokens,
        "url": reverse("juries:panel", args=[org.slug, jury.pk]),
    }


def test_send_again_makes_a_new_link_and_the_old_one_stops_working(
    coordinator, panel, django_capture_on_commit_callbacks
):
    member = panel["members"][0]
    old = panel["tokens"][member.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            panel["url"], {"action": "resend", "member": member.pk}, follow=True
        )
    page = response.content.decode()
    assert (
        f"Kutsu lähetettiin uudelleen henkilölle {member.pool_member.pseudonym} uudella linkillä."
        in page
    )
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [member.pool_member.email]
    new = _token(mail.outbox[0])
    assert new != old
    assert services.member_by_token(token=old) is None
    assert services.member_by_token(token=new).pk == member.pk
    entry = AuditEntry.objects.filter(jury=panel["jury"]).last()
    assert (entry.action, entry.actor, entry.payload) == (
        "invitation_resent",
        "Kaisa Koordinaattori",
        {"pseudonym": member.pool_member.pseudonym},
    )


def test_new_link_to_copy_is_shown_once_and_stored_only_as_a_hash(coordinator, panel):
    member = panel["members"][1]
    response = coordinator.post(panel["url"], {"action": "link", "member": member.pk})
    assert response.status_code == 200  # shown in this response, never redirected or stored
    page = response.content.decode()
    start = page.index('id="new-link" type="text" readonly value="') + len(
        'id="new-link" type="text" readonly value="'
    )
    link = page[start : page.index('"', start)]
    token = link.rsplit("/jury/m/", 1)[1].strip("/")
    member.refresh_from_db()
    assert member.token_hash == JuryMember.hash_token(token)
    assert not JuryMember.objects.filter(token_hash=token).exists()
    assert services.member_by_token(token=panel["tokens"][member.pk]) is None
    assert coordinator.get(reverse("juries:member", args=[token])).status_code == 200
    # the next page view no longer shows it
    assert token not in coordinator.get(panel["url"]).content.decode()
    assert AuditEntry.objects.filter(jury=panel["jury"]).last().action == "invitation_link_created"
    assert len(mail.outbox) == 0


def test_decline_given_by_phone_is_recorded_and_replaced(
    coordinator, panel, django_capture_on_commit_callbacks
):
    member = panel["members"][2]
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            panel["url"], {"action": "decline", "member": member.pk}, follow=True
        )
    assert (
        f"Henkilön {member.pool_member.pseudonym} kieltäytyminen kirjattiin; tilalle arvottiin varahenkilö."
        in response.content.decode()
    )
    member.refresh_from_db()
    assert member.status == JuryMember.Status.DECLINED
    assert services.member_by_token(token=panel["tokens"][member.pk]) is None
    declined = AuditEntry.objects.get(jury=panel["jury"], action="declined")
    assert declined.actor == "Kaisa Koordinaattori"
    assert declined.payload == {
        "pseudonym": member.pool_member.pseudonym,
        "recorded_by_staff": True,
    }
    replacement = JuryMember.objects.get(replaces=member)
    assert replacement.status == JuryMember.Status.INVITED
    assert mail.outbox[0].to == [replacement.pool_member.email]


def test_withdrawals_by_the_juror_or_recorded_by_staff_remove_votes_and_seat_an_alternate(
    client, coordinator, panel, django_capture_on_commit_callbacks
):
    jury = panel["jury"]
    first, second = panel["members"][0], panel["members"][1]
    rec = services.recommendation_create(jury=jury, title="Yksi numero", body="", actor_label="x")
    for m in (first, second):
        services.member_respond(member=m, accept=True)
        services.vote_cast(member=m, recommendation=rec, level=5)
    # the juror leaves through their own link
    url = reverse("juries:member", args=[panel["tokens"][first.pk]])
    assert "Joudun jäämään pois raadista" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "withdraw"})
    assert response["Location"] == reverse("juries:member_done") + "?left=withdrawn"
    first.refresh_from_db()
    assert first.status == JuryMember.Status.WITHDRAWN
    assert client.get(url).status_code == 404
    assert Vote.objects.filter(member=first).count() == 0
    entry = AuditEntry.objects.get(jury=jury, action="withdrawn")
    assert (entry.actor, entry.payload) == (
        "",
        {"pseudonym": first.pool_member.pseudonym, "votes_removed": 1},
    )
    # staff record the other's withdrawal given by phone
    with django_capture_on_commit_callbacks(execute=True):
        coordinator.post(panel["url"], {"action": "withdraw", "member": second.pk})
    second.refresh_from_db()
    assert second.status == JuryMember.Status.WITHDRAWN
    assert JuryMember.objects.filter(replaces__in=[first, second]).count() == 2
    assert rec.votes.count() == 0
    # seats counted by state on the panel page and the overview
    counts = "4 kutsuttu, ei vielä vastannut · 2 jäi pois"
    page = coordinator.get(panel["url"]).content.decode()
    assert f'<p id="member-counts">{counts}</p>' in page
    overview = coordinator.get(
        reverse("juries:detail", args=[coordinator.membership.organisation.slug, jury.pk])
    ).content.decode()
    assert f'<dd id="member-counts">{counts}</dd>' in overview


def test_overview_counts_jurors_by_state_not_the_invited_as_members(coordinator, panel):
    jury = panel["jury"]
    a, b, c, _d = panel["members"]
    services.member_respond(member=a, accept=True)
    services.member_respond(member=b, accept=True)
    services.member_respond(member=c, accept=False)
    overview = coordinator.get(
        reverse("juries:detail", args=[coordinator.membership.organisation.slug, jury.pk])
    ).content.decode()
    assert (
        '<dd id="member-counts">2 hyväksynyt · 2 kutsuttu, ei vielä vastannut · 1 kieltäytynyt</dd>'
    ) in overview


def test_staff_cannot_record_a_withdrawal_for_someone_who_has_not_accepted(coordinator, panel):
    member = panel["members"][0]
    response = coordinator.post(
        panel["url"], {"action": "withdraw", "member": member.pk}, follow=True
    )
    assert "Raatilaisen tila on ”kutsuttu”; sitä ei voi nyt tehdä." in response.content.decode()
    member.refresh_from_db()
    assert member.status == JuryMember.Status.INVITED
    response = coordinator.post(panel["url"], {"action": "decline", "member": "x"}, follow=True)
    assert "Valitse raatilainen." in response.content.decode()


# -- like for like ---------------------------------------------------------------------------
def _office_and_ward() -> Instance:
    people = [
        Person("o1", {"unit": "toimisto", "shift": "päivä"}),
        Person("o2", {"unit": "toimisto", "shift": "päivä"}, team="T1"),
        Person("o3", {"unit": "toimisto", "shift": "ilta"}),
        Person("w1", {"unit": "osasto", "shift": "päivä"}),
        Person("w2", {"unit": "osasto", "shift": "päivä"}),
        Person("w3", {"unit": "osasto", "shift": "ilta"}),
    ]
    # at least one from the office; the unit may otherwise vary
    return Instance(people, 2, [Quota("unit", "toimisto", 0, 2)], max_per_team=None)


def test_replacement_is_like_for_like_when_the_quotas_allow():
    inst = _office_and_ward()
    for seed in range(20):
        rep = find_replacement(inst, ["o1", "w1"], "o1", rng=random.Random(seed))
        # valid: everyone left; alike: o2 (office, day shift) only
        assert rep.candidates == ("o2", "o3", "w2", "w3")
        assert rep.alike == ("o2",)
        assert (rep.chosen, rep.differs, rep.reason) == ("o2", (), "")


def test_replacement_says_why_when_nobody_alike_can_take_the_seat():
    inst = _office_and_ward()
    # nobody else from the office on the day shift is left: closest first (same unit)
    # o3 shares the unit, w2 the shift: both as alike as anyone left, w3 neither
    seen = set()
    for seed in range(30):
        rep = find_replacement(
            inst, ["o1", "w1"], "o1", alternates=["o3", "w2", "w3"], rng=random.Random(seed)
        )
        assert rep.alike == ("o3", "w2")
        assert rep.reason == "none_alike_left"
        seen.add((rep.chosen, rep.differs))
    assert seen == {("o3", ("shift",)), ("w2", ("unit",))}
    # an alike person is left but would break the team limit
    people = [*inst.people[:3], Person("x1", {"unit": "toimisto", "shift": "päivä"}, team="T1")]
    capped = Instance([*people, *inst.people[3:]], 2, [], max_per_team=1)
    rep = find_replacement(capped, ["o1", "o2"], "o1", alternates=["x1", "o3"])
    assert (rep.chosen, rep.differs, rep.reason) == ("o3", ("shift",), "alike_break_rules")


def test_panel_page_says_how_the_alternate_differs_and_why(
    coordinator, panel, django_capture_on_commit_callbacks
):
    jury, draw = panel["jury"], panel["draw"]
    member = panel["members"][0]
    seated = {m.pool_member_id for m in panel["members"]}
    alike_left = [
        p
        for p in jury.pool.all()
        if p.pk not in seated and p.attributes == member.pool_member.attributes
    ]
    with django_capture_on_commit_callbacks(execute=True):
        services.member_decline_record(member=member, actor=None)
    replacement = JuryMember.objects.get(replaces=member)
    page = coordinator.get(panel["url"]).content.decode()
    if alike_left:
        assert replacement.replacement["differs"] == []
        assert replacement.pool_member.attributes == member.pool_member.attributes
        assert (
            f"{replacement.pool_member.pseudonym} korvaa henkilön {member.pool_member.pseudonym}: "
            "samanlainen kuin korvattu kaikilta tiedoiltaan." in page
        )
    else:
        assert replacement.replacement["differs"] == ["vuoro"]
        assert (
            f"{replacement.pool_member.pseudonym} korvaa henkilön {member.pool_member.pseudonym}: "
            "eroaa tiedoissa vuoro, koska joukossa ei ollut jäljellä ketään samanlaista." in page
        )
    entry = AuditEntry.objects.get(jury=jury, action="replacement")
    assert entry.payload["alike"] == replacement.replacement["alike"]
    assert draw.pk == replacement.draw_id
