"""No usable secret at rest: the task queue holds ids, the worker builds the email; old task
rows and log-in records are pruned on a schedule."""

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from polku.core import scheduler
from polku.core.email import email_send
from polku.core.services import housekeeping, task_results_prune
from polku.core.tests.factories import MembershipFactory, OrganisationFactory
from polku.organisations.models import Invitation
from polku.organisations.services import invitation_create

pytestmark = pytest.mark.django_db

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@override_settings(TASKS=DB_TASKS)
def test_an_invitation_waits_in_the_queue_as_ids_and_its_link_is_made_when_sent(
    django_capture_on_commit_callbacks,
):
    org = OrganisationFactory(name="Sydänystävät ry")
    inviter = MembershipFactory(organisation=org, role="facilitator").user
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            organisation=org, email="kalle@example.org", role="viewer", invited_by=inviter,
            language="fi",
        )  # fmt: skip
    row = DBTaskResult.objects.get()
    assert row.task_path == "polku.core.email.send_email"
    assert row.args_kwargs == {
        "args": [],
        "kwargs": {"kind": "organisations.invitation",
                   "ids": {"invitation": invitation.pk, "language": "fi"}},
    }  # fmt: skip
    assert mail.outbox == []
    hash_before = Invitation.objects.get().token_hash
    assert email_send(**row.args_kwargs["kwargs"]) == 1  # what the worker does
    body = mail.outbox[0].body
    token = body.split("/invitation/")[1].split("/")[0]
    assert Invitation.objects.get().token_hash == Invitation.hash_token(token) != hash_before
    assert token not in str(list(DBTaskResult.objects.values()))


@override_settings(TASKS=DB_TASKS)
def test_an_invitation_revoked_before_the_worker_sends_nothing(django_capture_on_commit_callbacks):
    org = OrganisationFactory()
    inviter = MembershipFactory(organisation=org, role="facilitator").user
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invitation_create(
            organisation=org, email="kalle@example.org", role="viewer", invited_by=inviter
        )
    invitation.revoked_at = timezone.now()
    invitation.save()
    assert email_send(**DBTaskResult.objects.get().args_kwargs["kwargs"]) == 0
    assert mail.outbox == []


@override_settings(TASKS=DB_TASKS)
def test_finished_task_rows_older_than_a_week_are_pruned(django_capture_on_commit_callbacks):
    org = OrganisationFactory()
    inviter = MembershipFactory(organisation=org, role="facilitator").user
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            invitation_create(
                organisation=org, email=f"k{n}@example.org", role="viewer", invited_by=inviter
            )
    old, recent, queued = DBTaskResult.objects.order_by("enqueued_at")
    now = timezone.now()
    DBTaskResult.objects.filter(pk=old.pk).update(
        status="SUCCESSFUL", finished_at=now - dt.timedelta(days=8)
    )
    DBTaskResult.objects.filter(pk=recent.pk).update(
        status="FAILED", finished_at=now - dt.timedelta(days=6)
    )
    assert task_results_prune(now=now) == 1
    assert set(DBTaskResult.objects.values_list("pk", flat=True)) == {recent.pk, queued.pk}
    assert housekeeping() == "0 task rows, 0 log-in records deleted"


def test_the_housekeeping_job_is_scheduled_hourly():
    job = scheduler.JOBS["core.housekeeping"]
    assert (job.func, job.every_seconds) == (housekeeping, 3600)
