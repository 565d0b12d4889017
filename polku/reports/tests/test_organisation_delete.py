"""Organisation delete with rows in every app: nothing of the tenant remains, nothing else goes."""

import pytest

from polku.activities.models import ActivityResult
from polku.core.tests.factories import AgendaSlotFactory, MembershipFactory, OrganisationFactory
from polku.experiments.models import (
    AdoptionInterest,
    CheckIn,
    CheckInLink,
    ExperimentMember,
    LogEntry,
    Reminder,
)
from polku.juries.models import FollowUpAction, JuryMember, Recommendation, Response, Vote
from polku.juries.tests.factories import drawn_jury
from polku.live.models import LiveEvent, MeetingLinkTemplate, Participant
from polku.organisations.models import Invitation
from polku.organisations.models import LogEntry as OrganisationLogEntry
from polku.reports import services
from polku.reports.models import ReportJob
from polku.reports.tenant import tenant_models, tenant_rows
from polku.reports.tests.factories import build_world

pytestmark = pytest.mark.django_db


def populate(org):
    """Rows for the tenant in every app: a jury with its panel, experiments with check-ins,
    a live room with phones and inputs, activity results, reports."""
    jury, _draw = drawn_jury(organisation=org)
    path = jury.path
    day = path.workshop_days.first()
    jury.sessions.add(day)
    path.units.add(*org.units.all())
    slot = AgendaSlotFactory(workshop_day=day, activity_type="topics")
    rec = Recommendation.objects.create(jury=jury, title="Ajanvaraus verkossa")
    member = JuryMember.objects.filter(jury=jury).first()
    Vote.objects.create(recommendation=rec, member=member, level=5)
    Response.objects.create(recommendation=rec, decision="accepted", reasons="Hyvä")
    FollowUpAction.objects.create(recommendation=rec, path=path, title="Kokeillaan")
    MeetingLinkTemplate.objects.create(organisation=org, template="https://meet.example.fi/{room}")
    phone = Participant.objects.create(workshop_day=day, token_hash=f"{org.slug}-t1")
    LiveEvent.objects.create(
        workshop_day=day, slot=slot, participant=phone, actor="p1", client_id="c1", kind="card"
    )
    ActivityResult.objects.create(
        path=path, slot=slot, activity_type="topics", kind="topic", text="Aihe"
    )
    world = build_world(
        org=OrganisationFactory(slug=f"{org.slug}-exp")
    )  # experiments in their own org
    experiment = world["experiments"][0]
    experiment.path = path
    experiment.unit = None
    experiment.save()
    mt = world["measure_types"][0]
    mt.path = path
    mt.save()
    ExperimentMember.objects.create(experiment=experiment, nickname="Nimimerkki")
    AdoptionInterest.objects.create(experiment=experiment, slot=slot, unit=None, count=2)
    checkin = CheckIn.objects.filter(experiment=experiment).first()
    CheckInLink.objects.create(
        experiment=experiment,
        slot=checkin.slot,
        email="a@example.org",
        token_hash=f"{org.slug}-l",
        expires_at=checkin.created_at,
    )
    Reminder.objects.create(experiment=experiment, slot=checkin.slot)
    LogEntry.objects.create(experiment=experiment, kind="note", text="muistiinpano")
    Invitation.objects.create(
        organisation=org,
        email="b@example.org",
        role="viewer",
        token_hash=f"{org.slug}-i",
        expires_at=checkin.created_at,
    )
    MembershipFactory(organisation=org, role="coordinator")
    services.share_link_create(path=path, label="Hallitus", sections=["goal"])
    ReportJob.objects.create(path=path, status="done", pdf=b"%PDF")
    OrganisationLogEntry.objects.create(organisation=org, kind="retention", path=path)
    services.workshop_summary_generate(workshop_day=day)
    return world["org"]


def counts(org_id):
    return {t.label: tenant_rows(t, org_id).count() for t in tenant_models()}


def test_every_tenant_model_has_rows_and_none_remain_after_delete():
    target = OrganisationFactory(slug="poistettava")
    bystander = OrganisationFactory(slug="sivullinen")
    populate(target)
    populate(bystander)
    before = counts(target.pk)
    empty = sorted(label for label, n in before.items() if n == 0)
    assert empty == []  # the test really exercises every model with a path to Organisation
    bystander_before = counts(bystander.pk)

    deleted = services.organisation_delete(organisation=target, confirm_slug="poistettava")

    assert all(n == 0 for n in counts(target.pk).values())
    assert counts(bystander.pk) == bystander_before
    assert deleted["juries.Vote"] == 1
    assert deleted["live.LiveEvent"] == 1


def test_full_export_has_vote_totals_only_and_no_secrets():
    import json

    org = OrganisationFactory(slug="vietava")
    populate(org)
    text = services.organisation_export_json(organisation=org).decode()
    data = json.loads(text)
    recommendation = data["juries"][0]["recommendations"][0]
    assert recommendation["vote_totals"] == {"5": 1}
    assert recommendation["response"] == {"decision": "accepted", "reasons": "Hyvä"}
    assert len(data["jury_pool"]) == 12
    for secret in ("vietava-t1", "vietava-l", "vietava-i", "b@example.org", "token_hash"):
        assert secret not in text
    assert [r["text"] for r in data["activity_results"]] == ["Aihe"]
    assert data["participation"][0]["joined"] == 1
