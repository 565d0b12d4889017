"""Data retention: a path's participant data goes `retention_days` after the path ends, once,
by the scheduler's job, and the organisation's log says what went."""

import datetime as dt
import uuid

import pytest

from polku.core import scheduler
from polku.core.tests.factories import OrganisationFactory, PathFactory, WorkshopDayFactory
from polku.experiments.models import CheckIn, CheckInLink
from polku.experiments.services import checkin_link_create, experiment_create
from polku.live.models import LiveEvent, Participant
from polku.organisations import retention
from polku.organisations.models import LogEntry

pytestmark = pytest.mark.django_db

TODAY = dt.date(2027, 6, 1)


def _path_with_participant_data(*, ended: dt.date, retention_days: int = 365, name="Polku"):
    org = OrganisationFactory(retention_days=retention_days)
    path = PathFactory(organisation=org, name=name, starts_on=ended - dt.timedelta(days=90),
                       ends_on=ended)  # fmt: skip
    day = WorkshopDayFactory(path=path)
    named = Participant.objects.create(workshop_day=day, token_hash=uuid.uuid4().hex * 2, nickname="Maija",
                                       return_key="r" * 64)  # fmt: skip
    Participant.objects.create(workshop_day=day, token_hash=uuid.uuid4().hex * 2)
    LiveEvent.objects.create(workshop_day=day, actor=f"p{named.pk}", participant=named,
                             client_id="c1", kind="card", data={"text": "Idea"}, name="Maija")  # fmt: skip
    LiveEvent.objects.create(workshop_day=day, actor="a-anon", client_id="c2", kind="card",
                             data={"text": "Anon"})  # fmt: skip
    experiment = experiment_create(path=path, title="Kaveri-ilta", contact_email="u@example.org")
    for slot in (ended - dt.timedelta(days=30), ended):
        checkin_link_create(experiment=experiment, slot=slot)
    CheckIn.objects.create(experiment=experiment, slot=ended, what_we_did="Teimme")
    return org, path


def test_participant_data_is_deleted_after_the_retention_time_and_logged():
    org, path = _path_with_participant_data(ended=TODAY - dt.timedelta(days=366))
    _other_org, recent = _path_with_participant_data(ended=TODAY - dt.timedelta(days=300))

    entries = retention.retention_apply(today=TODAY)

    assert [e.path for e in entries] == [path]
    entry = LogEntry.objects.get(organisation=org)
    assert (entry.kind, entry.path) == (LogEntry.Kind.RETENTION, path)
    assert entry.data == {
        "path": "Polku",
        "ended_on": (TODAY - dt.timedelta(days=366)).isoformat(),
        "retention_days": 365,
        "deleted": {"checkin_links": 2, "participants": 2},
    }
    assert Participant.objects.filter(workshop_day__path=path).count() == 0
    assert CheckInLink.objects.filter(experiment__path=path).count() == 0
    # results stay: both inputs, the named one without its participant; the check-in stays
    assert sorted(LiveEvent.objects.filter(workshop_day__path=path).values_list(
        "data__text", "participant_id")) == [("Anon", None), ("Idea", None)]  # fmt: skip
    assert CheckIn.objects.filter(experiment__path=path).count() == 1
    # the path that ended 300 days ago keeps everything
    assert Participant.objects.filter(workshop_day__path=recent).count() == 2
    assert CheckInLink.objects.filter(experiment__path=recent).count() == 2
    # once only: a second run deletes and logs nothing
    assert retention.retention_apply(today=TODAY) == []
    assert LogEntry.objects.count() == 1


def test_retention_time_is_per_organisation_and_counts_from_the_end_of_the_follow_up():
    org, path = _path_with_participant_data(ended=TODAY - dt.timedelta(days=40), retention_days=30)
    path.followup_until = TODAY - dt.timedelta(days=20)
    path.save()
    assert retention.paths_due(today=TODAY) == []  # follow-up ended 20 days ago: not yet
    assert [p.pk for p in retention.paths_due(today=TODAY + dt.timedelta(days=10))] == [path.pk]
    org.retention_days = 3650
    org.save()
    assert retention.paths_due(today=TODAY + dt.timedelta(days=10)) == []


def test_the_scheduler_runs_retention_through_the_task_queue():
    _org, path = _path_with_participant_data(ended=dt.date.today() - dt.timedelta(days=400))
    job = scheduler.JOBS["organisations.retention"]
    assert job.every_seconds == 6 * 3600
    assert job.func() == "enqueued"  # tests run tasks at once (the worker in production)
    assert LogEntry.objects.get().path == path
    assert Participant.objects.filter(workshop_day__path=path).count() == 0
