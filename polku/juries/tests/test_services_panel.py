import datetime as dt
import io
import itertools

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError

from polku.juries import lottery_adapter as lottery
from polku.juries import services
from polku.juries.models import AuditEntry, JuryMember, Response, Vote
from polku.juries.selectors import quota_rows, recommendations_with_support
from polku.juries.tests.factories import drawn_jury

pytestmark = pytest.mark.django_db


# -- audit chain --------------------------------------------------------------------------
def test_audit_chain_verifies_and_links_each_entry_to_the_previous():
    jury, _draw = drawn_jury()
    entries = list(AuditEntry.objects.filter(jury=jury))
    assert [e.seq for e in entries] == list(range(1, 8))
    assert entries[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))
    assert services.audit_verify(jury=jury) == (True, None)


def test_audit_tampered_payload_is_detected():
    jury, _draw = drawn_jury()
    entry = AuditEntry.objects.get(jury=jury, action="quotas_set")
    AuditEntry.objects.filter(pk=entry.pk).update(payload={**entry.payload, "reason": "toinen syy"})
    assert services.audit_verify(jury=jury) == (False, entry.seq)


def test_audit_removed_entry_is_detected():
    jury, _draw = drawn_jury()
    AuditEntry.objects.filter(jury=jury, seq=3).delete()
    assert services.audit_verify(jury=jury) == (False, 4)


def test_audit_rewritten_chain_tail_is_detected_by_next_entry():
    jury, _draw = drawn_jury()
    entry = AuditEntry.objects.get(jury=jury, seq=5)
    forged = services.audit_entry_hash(
        jury_id=jury.pk,
        seq=5,
        action="run_finished",
        actor="hyökkääjä",
        payload=entry.payload,
        created_at=entry.created_at.isoformat(),
        prev_hash=entry.prev_hash,
    )
    AuditEntry.objects.filter(pk=entry.pk).update(actor="hyökkääjä", entry_hash=forged)
    assert services.audit_verify(jury=jury) == (False, 6)


# -- invitations, replacement --------------------------------------------------------------
def _invite(jury, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        count = services.members_invite(jury=jury, actor=None)
    return count


def test_invitation_emails_carry_a_link_whose_token_is_stored_only_as_hash(
    django_capture_on_commit_callbacks,
):
    jury, _draw = drawn_jury()
    assert _invite(jury, django_capture_on_commit_callbacks) == 4
    assert len(mail.outbox) == 4
    message = mail.outbox[0]
    assert message.subject == "Sinut on arvottu organisaatioraatiin"
    link = next(line for line in message.body.splitlines() if "/jury/m/" in line)
    token = link.rsplit("/jury/m/", 1)[1].strip("/")
    member = services.member_by_token(token=token)
    assert member is not None
    assert member.pool_member.email in message.to
    assert member.token_hash == JuryMember.hash_token(token)
    assert not JuryMember.objects.filter(token_hash=token).exists()


def test_magic_link_expires(django_capture_on_commit_callbacks):
    jury, _draw = drawn_jury()
    _invite(jury, django_capture_on_commit_callbacks)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/jury/m/" in line)
    token = link.rsplit("/jury/m/", 1)[1].strip("/")
    member = services.member_by_token(token=token)
    with time_machine.travel(member.token_expires_at + dt.timedelta(minutes=1)):
        assert services.member_by_token(token=token) is None
    assert services.member_by_token(token="x" * 43) is None


def test_decline_is_replaced_by_alternate_that_keeps_quotas(django_capture_on_commit_callbacks):
    jury, draw = drawn_jury()
    _invite(jury, django_capture_on_commit_callbacks)
    member = JuryMember.objects.filter(draw=draw).order_by("pool_member__pseudonym").first()
    with django_capture_on_commit_callbacks(execute=True):
        services.member_respond(member=member, accept=False)
    replacement = JuryMember.objects.get(replaces=member)
    assert replacement.status == JuryMember.Status.INVITED
    assert replacement.pool_member.attributes["unit"] == member.pool_member.attributes["unit"]
    seated = JuryMember.objects.filter(draw=draw).exclude(status=JuryMember.Status.DECLINED)
    assert seated.count() == 4
    assert [r["ok"] for r in quota_rows(jury=jury, draw=draw)] == [True, True]
    entry = AuditEntry.objects.get(jury=jury, action="replacement")
    assert entry.payload["declined"] == member.pool_member.pseudonym
    assert entry.payload["replacement"] == replacement.pool_member.pseudonym
    assert entry.payload["candidates"] == 4  # the other four people of the same unit
    assert len(mail.outbox) == 5


def test_replacement_never_reinvites_someone_who_declined(django_capture_on_commit_callbacks):
    jury, draw = drawn_jury()
    _invite(jury, django_capture_on_commit_callbacks)
    declined = set()
    member = JuryMember.objects.filter(draw=draw, pool_member__attributes__unit="Osasto A").first()
    for _ in range(5):
        declined.add(member.pool_member.pseudonym)
        services.member_respond(member=member, accept=False)
        member = JuryMember.objects.filter(replaces=member).first()
        if member is None:
            break
        assert member.pool_member.pseudonym not in declined
    # unit A has 6 people, 2 seats: after 5 declines of one seat the alternates run out
    assert member is None
    assert AuditEntry.objects.filter(jury=jury, action="replacement_impossible").count() == 1


def test_answer_after_declining_is_refused_but_accepted_member_may_withdraw(
    django_capture_on_commit_callbacks,
):
    jury, draw = drawn_jury()
    _invite(jury, django_capture_on_commit_callbacks)
    first, second = JuryMember.objects.filter(draw=draw)[:2]
    services.member_respond(member=first, accept=False)
    with pytest.raises(ValidationError) as exc:
        services.member_respond(member=first, accept=True)
    assert exc.value.messages == ["Kutsuun on jo vastattu."]
    services.member_respond(member=second, accept=True)
    with pytest.raises(ValidationError) as exc:
        services.member_respond(member=second, accept=False)
    assert exc.value.messages == [
        "Olet jo lähtenyt mukaan; jos joudut jäämään pois, ilmoita siitä."
    ]
    services.member_withdraw(member=second)
    second.refresh_from_db()
    assert second.status == JuryMember.Status.WITHDRAWN
    assert second.token_hash == ""
    assert JuryMember.objects.filter(replaces=second).count() == 1


# -- recommendations, votes, statement, response ------------------------------------------
def _accepted_members(jury, draw, django_capture_on_commit_callbacks):
    _invite(jury, django_capture_on_commit_callbacks)
    members = list(JuryMember.objects.filter(draw=draw))
    for m in members:
        services.member_respond(member=m, accept=True)
    return members


def test_concurrent_edits_do_not_overwrite_silently():
    jury, _draw = drawn_jury()
    rec = services.recommendation_create(
        jury=jury, title="Takaisinsoitto", body="v1", actor_label="R-1"
    )
    services.recommendation_update(
        recommendation=rec,
        title="Takaisinsoitto",
        body="Annan versio",
        expected_version=1,
        actor_label="Anna",
    )
    with pytest.raises(services.VersionConflict) as exc:
        services.recommendation_update(
            recommendation=rec,
            title="Takaisinsoitto",
            body="Bertan versio",
            expected_version=1,
            actor_label="Bertta",
        )
    assert exc.value.current.body == "Annan versio"
    assert exc.value.current.version == 2
    rec.refresh_from_db()
    assert rec.body == "Annan versio"


def test_votes_show_distribution_and_support(django_capture_on_commit_callbacks):
    jury, draw = drawn_jury()
    members = _accepted_members(jury, draw, django_capture_on_commit_callbacks)
    rec = services.recommendation_create(
        jury=jury, title="Yksi numero", body="", actor_label="raati"
    )
    for member, level in zip(members, [5, 5, 4, 1], strict=True):
        services.vote_cast(member=member, recommendation=rec, level=level)
    services.vote_cast(member=members[3], recommendation=rec, level=3)  # changes her mind
    assert Vote.objects.filter(recommendation=rec).count() == 4
    (r,) = recommendations_with_support(jury=jury)
    assert [(d["level"], d["count"]) for d in r.distribution] == [
        (5, 2),
        (4, 1),
        (3, 1),
        (2, 0),
        (1, 0),
    ]
    assert r.support == 75
    assert r.vote_total == 4


def test_only_accepted_jurors_vote(django_capture_on_commit_callbacks):
    jury, draw = drawn_jury()
    _invite(jury, django_capture_on_commit_callbacks)
    member = JuryMember.objects.filter(draw=draw).first()
    rec = services.recommendation_create(jury=jury, title="X", body="", actor_label="raati")
    with pytest.raises(ValidationError) as exc:
        services.vote_cast(member=member, recommendation=rec, level=5)
    assert exc.value.messages == ["Vain kutsun hyväksyneet raatilaiset voivat äänestää."]


def test_response_deadline_and_overdue():
    jury, _draw = drawn_jury()
    rec = services.recommendation_create(jury=jury, title="X", body="", actor_label="raati")
    with pytest.raises(ValidationError):
        services.response_save(recommendation=rec, decision="accepted", reasons="ok", actor=None)
    with time_machine.travel(dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)):
        services.statement_publish(jury=jury, intro="", actor=None)
    jury.refresh_from_db()
    assert jury.response_due_on == dt.date(2027, 3, 29)
    with time_machine.travel(dt.datetime(2027, 3, 29, 12, tzinfo=dt.UTC)):
        assert recommendations_with_support(jury=jury)[0].overdue is False
    with time_machine.travel(dt.datetime(2027, 3, 30, 12, tzinfo=dt.UTC)):
        assert recommendations_with_support(jury=jury)[0].overdue is True
        services.response_save(
            recommendation=rec,
            decision=Response.Decision.ACCEPTED,
            reasons="Kokeillaan.",
            actor=None,
        )
        assert recommendations_with_support(jury=jury)[0].overdue is False


def test_accepted_recommendation_becomes_action_on_path_rejected_does_not():
    jury, _draw = drawn_jury()
    yes = services.recommendation_create(jury=jury, title="Kyllä", body="", actor_label="raati")
    no = services.recommendation_create(jury=jury, title="Ei", body="", actor_label="raati")
    services.statement_publish(jury=jury, intro="", actor=None)
    services.response_save(recommendation=yes, decision="partly", reasons="Osin.", actor=None)
    services.response_save(
        recommendation=no, decision="rejected", reasons="Ei resursseja.", actor=None
    )
    unit = jury.organisation.units.get(code="A")
    action = services.action_create(
        recommendation=yes,
        title="Kokeilu",
        unit=unit,
        contact_email="oh@example.org",
        owner="OH",
        due_on=None,
        actor=None,
    )
    assert action.path_id == jury.path_id
    with pytest.raises(ValidationError):
        services.action_create(
            recommendation=no,
            title="Kokeilu",
            unit=unit,
            contact_email="oh@example.org",
            due_on=None,
            actor=None,
        )


def test_contacts_of_people_not_drawn_can_be_erased_after_the_draw(
    django_capture_on_commit_callbacks,
):
    jury, draw = drawn_jury()
    assert services.pool_contacts_erase(jury=jury, actor=None) == 8
    seated = set(JuryMember.objects.filter(draw=draw).values_list("pool_member_id", flat=True))
    for person in jury.pool.all():
        if person.pk in seated:
            assert person.email.endswith("@example.org")
        else:
            assert (person.name, person.email) == ("", "")
    assert AuditEntry.objects.filter(jury=jury, action="contacts_erased").get().payload == {
        "people": 8
    }
    # a replacement without contact data stays "drawn, not invited"
    _invite(jury, django_capture_on_commit_callbacks)
    member = JuryMember.objects.filter(draw=draw).first()
    services.member_respond(member=member, accept=False)
    assert JuryMember.objects.get(replaces=member).status == JuryMember.Status.SELECTED


def test_jury_verify_command_accepts_published_file_and_rejects_tampered(tmp_path):
    import json

    from django.core.management import CommandError, call_command

    _jury, draw = drawn_jury()
    data = services.lottery_file(draw=draw)
    good = tmp_path / "arvonta.json"
    good.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("jury_verify", str(good), stdout=out)
    m = lottery.lottery_size(data)
    panel = " ".join(lottery.slot_panel(data, draw.panel_index))
    # every line in one language: Finnish by default (the site's language) …
    assert out.getvalue().splitlines() == [
        f"✓ Tiiviste {draw.commitment} vastaa tiedostoa.",
        f"✓ Arvonnan kaikki {len(data['panels'])} raatia täyttävät kiintiöt.",
        f"✓ Arvonnan luvut valitsevat raadin {draw.panel_index + 1}/{m:,}: {panel}".replace(
            ",", "\xa0"
        ),
    ]
    # … or English when asked
    out = io.StringIO()
    call_command("jury_verify", str(good), language="en", stdout=out)
    assert out.getvalue().splitlines()[0] == f"✓ Commitment {draw.commitment} matches the file."
    data["pool"][0]["features"]["unit"] = "Osasto C"
    bad = tmp_path / "muutettu.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("jury_verify", str(bad), stderr=err)
    assert str(exc.value) == "Arvonta ei täsmää."
    lines = err.getvalue().splitlines()
    assert lines[0] == (
        "✗ Tiiviste ei vastaa tiedoston sisältöä: tiedostoa on muutettu julkaisun jälkeen."
    )
    # the person moved to another unit breaks the unit quota of each panel they are in
    assert lines[1:] and all(
        line.startswith("✗ Arvonnan kokoonpano numero ") and line.endswith(" ei täytä kiintiöitä.")
        for line in lines[1:]
    )


def test_alternates_per_seat_are_those_who_keep_quotas():
    from polku.juries.selectors import alternates_per_seat, panel_members

    jury, draw = drawn_jury()
    members = panel_members(jury=jury, draw=draw)
    seated = {m.pool_member_id for m in members}
    others = [p for p in jury.pool.all() if p.pk not in seated]
    # 2 + 2 seats of 6 + 6: four of the seat's unit are left; alike = same unit and shift too
    expected = {
        m.pk: (4, sum(1 for p in others if p.attributes == m.pool_member.attributes))
        for m in members
    }
    assert alternates_per_seat(jury=jury, draw=draw, members=members) == expected
