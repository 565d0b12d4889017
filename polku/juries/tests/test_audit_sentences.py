"""The audit log reads as sentences in the user's language for every entry type; frame edits
(sessions included) and recommendation edits are logged."""

import re

import pytest
from django.urls import reverse
from django.utils import translation

from polku.core.tests.factories import MembershipFactory
from polku.juries import services
from polku.juries.explain import AUDIT_ACTIONS, audit_action_text, audit_sentence
from polku.juries.models import AuditEntry, JuryMember, LotteryRun, Recommendation
from polku.juries.tests.factories import (
    drawn_jury,
    half_and_half_quotas,
    jury_with_pool,
    pool_file,
    standard_rows,
)
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db


def _every_action(org, user, capture):
    """One jury whose log holds every kind of entry."""
    jury = jury_with_pool(organisation=org, actor=user)
    services.jury_attribute_values_set(jury=jury, text="vuoro: aamu, yö", actor=user)
    services.signup_open(jury=jury, actor=user)
    services.pool_volunteer_add(
        jury=jury,
        name="Uusi",
        email="uusi@example.org",
        features={"unit": "Osasto B", "vuoro": "aamu"},
    )
    services.signup_close(jury=jury, actor=user)
    services.pool_import(
        jury=jury,
        filename="pool.csv",
        content=pool_file(standard_rows()),
        actor=user,
    )
    day = jury.path.workshop_days.order_by("starts_at").first()
    services.jury_update(jury=jury, actor=user, panel_size=4, sessions=[day])
    person = jury.pool.order_by("external_id").last()
    services.pool_member_exclude(member=person, excluded=True, reason="lomalla", actor=user)
    services.pool_member_exclude(member=person, excluded=False, reason="", actor=user)
    half_and_half_quotas(jury, user)
    broken = services._run_prepare(jury=jury, method=LotteryRun.Method.MAXIMIN, actor=user)
    LotteryRun.objects.filter(pk=broken.pk).update(instance={"k": 0, "pool": []})
    broken.refresh_from_db()
    services.run_execute(run=broken)
    services.run_preview(jury=jury, actor=user)
    run = services.run_leximin_start(jury=jury, actor=user, background=False)
    draw = services.draw_commit(jury=jury, run=run, actor=user)
    services.draw_void(draw=draw, reason="Noppa putosi lattialle.", actor=user)
    draw = services.draw_commit(jury=jury, run=run, actor=user)
    services.draw_enter(draw=draw, kind="dice", digits="3 5 1 6 2 4 3 5", actor=user)
    with capture(execute=True):
        services.members_invite(jury=jury, actor=user)
    members = list(JuryMember.objects.filter(draw=draw).order_by("pool_member__external_id"))
    services.member_invitation_resend(member=members[0], actor=user)
    services.member_link_create(member=members[1], actor=user)
    for m in members[:3]:
        services.member_respond(member=m, accept=True)
    rec = services.recommendation_create(
        jury=jury, title="Takaisinsoitto", body="", actor_label="R"
    )
    services.recommendation_update(
        recommendation=rec,
        title="Takaisinsoitto samana päivänä",
        body="",
        expected_version=1,
        actor_label=user.name,
    )
    services.vote_cast(member=members[0], recommendation=rec, level=5)
    services.member_withdraw(member=members[2], actor=user)
    # decline unit A seats until nobody can replace them
    member = next(m for m in members[3:])
    while member is not None and member.status != JuryMember.Status.DECLINED:
        if member.status == JuryMember.Status.ACCEPTED:
            break
        services.member_decline_record(member=member, actor=user)
        member = JuryMember.objects.filter(replaces=member).first()
    services.tallies_reveal(jury=jury, actor=user)
    services.statement_publish(jury=jury, intro="", actor=user)
    rec = Recommendation.objects.get(pk=rec.pk)
    services.response_save(recommendation=rec, decision="accepted", reasons="Hyvä.", actor=user)
    services.action_create(
        recommendation=rec,
        title="Takaisinsoiton kokeilu",
        unit=org.units.get(code="A"),
        contact_email="oh@example.org",
        due_on=None,
        actor=user,
    )
    services.pool_contacts_erase(jury=jury, actor=user)
    return jury, rec, day


def _sentences(page: str) -> list[tuple[str, str]]:
    rows = re.findall(
        r'<tr id="audit-\d+">.*?<td>([^<]*)</td><td>[^<]*</td><td class="jury-sentence">([^<]*)',
        page,
        flags=re.S,
    )
    return [(event.strip(), sentence.strip()) for event, sentence in rows]


def test_every_entry_type_reads_as_a_sentence_in_each_language(
    client, django_capture_on_commit_callbacks
):
    membership = MembershipFactory(role=Membership.Role.COORDINATOR, user__name="Kaisa")
    client.force_login(membership.user)
    org = membership.organisation
    jury, rec, day = _every_action(org, membership.user, django_capture_on_commit_callbacks)
    assert set(AuditEntry.objects.filter(jury=jury).values_list("action", flat=True)) == set(
        AUDIT_ACTIONS
    )
    url = reverse("juries:audit", args=[org.slug, jury.pk])
    for language in ("fi", "sv", "en"):
        client.cookies["django_language"] = language
        page = client.get(url, headers={"accept-language": language}).content.decode()
        rows = _sentences(page)
        assert len(rows) == AuditEntry.objects.filter(jury=jury).count()
        for event, sentence in rows:
            assert sentence and sentence != event, (language, event)
            for raw in ("{", "}", "None", "True", "panel_size", "max_per_team", "pseudonyms"):
                assert raw not in sentence, (language, event, sentence)
    client.cookies["django_language"] = "fi"
    page = client.get(url).content.decode()
    sentences = dict(_sentences(page))
    assert sentences["Kehystä muutettu"] == (
        f"Raadin kehystä muutettiin. Nyt istunnot: {day.title}."
    )
    assert sentences["Suositusta muokattu"] == (
        "Suositusta 1, ”Takaisinsoitto samana päivänä”, muokattiin (versio 2)."
    )
    assert sentences["Kiintiöt asetettu"] == (
        "Kiintiöt asetettiin: yksikkö = Osasto A 2–2 paikkaa, yksikkö = Osasto B 2–2 paikkaa. "
        "Syy: Puolet kummastakin osastosta."
    )
    assert sentences["Seurantakokeilu lisätty"] == (
        "Suosituksesta 1 tehtiin polulle kokeilu ”Takaisinsoiton kokeilu”, vastuussa Osasto A."
    )
    assert rec.pk


def test_frame_edit_that_links_a_session_is_logged_with_the_session():
    jury = jury_with_pool()
    day = jury.path.workshop_days.order_by("starts_at").first()
    services.jury_update(jury=jury, actor=None, sessions=[day])
    entry = AuditEntry.objects.filter(jury=jury).last()
    assert (entry.action, entry.payload) == (
        "jury_updated",
        {"sessions": [{"id": day.pk, "title": day.title}]},
    )
    # saving the same sessions again changes nothing and logs nothing
    services.jury_update(jury=jury, actor=None, sessions=[day])
    assert AuditEntry.objects.filter(jury=jury, action="jury_updated").count() == 1


def test_recommendation_edit_by_facilitator_is_logged_and_a_conflict_is_not():
    jury, _draw = drawn_jury()
    rec = services.recommendation_create(jury=jury, title="A", body="", actor_label="R-1")
    services.recommendation_update(
        recommendation=rec, title="B", body="teksti", expected_version=1, actor_label="Fanni"
    )
    with pytest.raises(services.VersionConflict):
        services.recommendation_update(
            recommendation=rec, title="C", body="", expected_version=1, actor_label="R-2"
        )
    entries = list(AuditEntry.objects.filter(jury=jury, action="recommendation_updated"))
    assert [(e.actor, e.payload) for e in entries] == [
        ("Fanni", {"id": rec.pk, "position": 1, "title": "B", "version": 2})
    ]


def test_unknown_or_old_entries_fall_back_without_errors():
    with translation.override("fi"):
        assert audit_sentence("something_new", {"x": 1}, {}) == audit_action_text("something_new")
        # an entry written before positions were logged: the number comes from the id
        assert (
            audit_sentence("response", {"recommendation": 7, "decision": "partly"}, {7: 3})
            == "Toimeksiantaja vastasi suositukseen 3: osittain hyväksytty."
        )
        assert audit_sentence(
            "jury_created",
            {
                "question": "Q",
                "commissioner": "C",
                "commitment": "X",
                "panel_size": 12,
                "max_per_team": None,
            },
            {},
        ) == (
            "Raati perustettiin. Kysymys: Q; toimeksiantaja: C; toimeksiantajan sitoumus: X; "
            "raadin koko: 12; enintään tiimiä kohden: ei rajaa."
        )
