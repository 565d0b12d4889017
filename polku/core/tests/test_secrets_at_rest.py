"""No usable secret at rest: the task queue holds ids, the worker builds the email; old task
rows and log-in records are pruned on a schedule."""

import datetime as dt

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import reverse
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


# -- every link: the database holds no usable token ------------------------------------------
def _database_text() -> str:
    """Every value of every row of every table, as text (what a dump or a backup holds)."""
    from django.apps import apps

    chunks = []
    for model in apps.get_models():
        chunks.extend(str(row) for row in model._default_manager.values_list())
    return "\n".join(chunks)


def test_no_link_token_of_any_kind_is_in_the_database(client, django_capture_on_commit_callbacks):
    import datetime as dt

    from polku.core.tests.factories import WorkshopDayFactory
    from polku.experiments.services import checkin_link_create
    from polku.experiments.tests.factories import ExperimentFactory
    from polku.juries import services as juries
    from polku.juries.tests.factories import drawn_jury, jury_with_pool
    from polku.live import identity
    from polku.live.models import Participant
    from polku.reports.models import WorkshopSummary
    from polku.reports.services import share_link_create, workshop_summary_link_mint

    jury, _draw = drawn_jury()
    org, path = jury.organisation, jury.path
    juries.recommendation_create(jury=jury, title="Yksi numero", body="Teksti", actor_label="R-1")
    juries.statement_publish(jury=jury, intro="", actor=None)
    jury.refresh_from_db()
    signup_jury = juries.signup_open(jury=jury_with_pool(), actor=None)
    inviter = MembershipFactory(organisation=org, role="facilitator").user
    with override_settings(TASKS=DB_TASKS), django_capture_on_commit_callbacks(execute=True):
        invitation_create(organisation=org, email="kalle@example.org", role="viewer",
                          invited_by=inviter)  # fmt: skip
    assert email_send(**DBTaskResult.objects.get().args_kwargs["kwargs"]) == 1
    invitation_token = mail.outbox[0].body.split("/invitation/")[1].split("/")[0]
    experiment = ExperimentFactory(path=path, contact_email="tiimi@example.org")
    _link, checkin_token = checkin_link_create(experiment=experiment, slot=dt.date(2027, 2, 1))
    _share, share_token = share_link_create(path=path, label="Hallitus", sections=["goal"])
    day = WorkshopDayFactory(path=path)
    summary = WorkshopSummary.objects.create(workshop_day=day)
    summary_token = workshop_summary_link_mint(summary=summary)
    phone_token = identity.token_new(day.join_code)
    Participant.objects.create(workshop_day=day, token_hash=identity.token_hash(phone_token))

    tokens = {
        "calendar": path.calendar_token,
        "statement": jury.public_token,
        "signup": signup_jury.signup_token,
        "invitation": invitation_token,
        "checkin": checkin_token,
        "share": share_token,
        "summary": summary_token,
        "phone": phone_token,
    }
    assert all(len(t) >= 32 for t in tokens.values()), tokens
    text = _database_text()
    assert [kind for kind, token in tokens.items() if token in text] == []
    # the standing links are derived, not stored: they open their pages
    assert client.get(reverse("paths:calendar_feed", args=[tokens["calendar"]])).status_code == 200
    assert (
        client.get(reverse("juries:public_statement", args=[tokens["statement"]])).status_code
        == 200
    )
    assert client.get(reverse("juries:signup", args=[tokens["signup"]])).status_code == 200


def test_a_link_made_of_the_stored_link_id_alone_opens_nothing(client):
    from polku.core.tokens import LINK_ID_LENGTH
    from polku.juries import services as juries
    from polku.juries.tests.factories import drawn_jury

    jury, _draw = drawn_jury()
    juries.recommendation_create(jury=jury, title="Yksi numero", body="Teksti", actor_label="R-1")
    juries.statement_publish(jury=jury, intro="", actor=None)
    jury.refresh_from_db()
    path = jury.path
    forged = {
        "calendar": path.calendar_link_id + "A" * (len(path.calendar_token) - LINK_ID_LENGTH),
        "statement": jury.public_link_id + "A" * (len(jury.public_token) - LINK_ID_LENGTH),
    }
    calendar = client.get(reverse("paths:calendar_feed", args=[forged["calendar"]]))
    assert calendar.status_code == 404
    assert calendar.content.decode() == (
        "Tämä kalenterilinkki ei ole käytössä (se on ehkä vaihdettu). "
        "Kopioi voimassa oleva linkki polun sivulta Polussa."
    )
    statement = client.get(reverse("juries:public_statement", args=[forged["statement"]]))
    assert statement.status_code == 404
    assert "Ask the jury" not in statement.content.decode()
    assert "Pyydä raadin fasilitaattorilta voimassa oleva linkki." in statement.content.decode()


def test_the_migration_replaces_clear_calendar_and_jury_tokens(transactional_db):
    """Links stored in clear before (paths 0001, juries 0004) are replaced by link ids: the old
    token is gone from the database and opens nothing."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    old = [("paths", "0001_initial"), ("juries", "0004_invitations_followup_order")]
    executor.migrate(old)
    state = executor.loader.project_state(old).apps
    organisation = OrganisationFactory()
    path = state.get_model("paths", "Path").objects.create(
        organisation_id=organisation.pk, name="Polku", starts_on="2027-01-01", ends_on="2027-06-30",
        calendar_token="vanha-kalenteri-token-123456789012",
    )  # fmt: skip
    state.get_model("juries", "Jury").objects.create(
        path_id=path.pk, organisation_id=organisation.pk, question="K?", commissioner="J",
        commitment="V", panel_size=4, public_token="vanha-lausunto-token-1234",
        statement_published_at="2027-01-02T10:00:00Z",
    )  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    from polku.juries.models import Jury
    from polku.paths.models import Path

    text = _database_text()
    assert "vanha-kalenteri-token" not in text
    assert "vanha-lausunto-token" not in text
    assert len(Path.objects.get().calendar_link_id) == 16
    jury = Jury.objects.get()
    assert (len(jury.public_link_id), jury.signup_link_id) == (16, None)
    assert client_get_status("/calendar/vanha-kalenteri-token-123456789012.ics") == 404


def client_get_status(url: str) -> int:
    from django.test import Client

    return Client().get(url).status_code


def test_the_session_table_holds_no_key_that_logs_anyone_in(client):
    from django.contrib.sessions.models import Session

    from polku.accounts.sessions import session_key_hash

    member = MembershipFactory(role="facilitator")
    member.user.set_password("pitkä salasana 123")
    member.user.save()
    client.force_login(member.user)
    key = client.cookies["sessionid"].value
    assert list(Session.objects.values_list("session_key", flat=True)) == [session_key_hash(key)]
    assert key not in _database_text()
    assert client.get("/").wsgi_request.user == member.user  # the cookie still logs in
    stranger = type(client)()
    stranger.cookies["sessionid"] = session_key_hash(key)  # what a dump of the table gives
    assert stranger.get("/").wsgi_request.user.is_authenticated is False
    client.logout()
    assert Session.objects.count() == 0


def test_sessions_stored_before_are_hashed_by_the_migration_and_still_log_in(client):
    import importlib

    from django.apps import apps as global_apps
    from django.contrib.sessions.backends.db import SessionStore as PlainStore
    from django.contrib.sessions.models import Session

    from polku.accounts.sessions import session_key_hash

    member = MembershipFactory(role="facilitator")
    plain = PlainStore()  # a session as Django's own backend stored it (the key in clear)
    plain["_auth_user_id"] = str(member.user.pk)
    plain["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    plain["_auth_user_hash"] = member.user.get_session_auth_hash()
    plain.save()
    migration = importlib.import_module("polku.accounts.migrations.0002_hash_session_keys")
    migration.hash_session_keys(global_apps, None)
    migration.hash_session_keys(global_apps, None)  # again: nothing changes
    assert list(Session.objects.values_list("session_key", flat=True)) == [
        session_key_hash(plain.session_key)
    ]
    client.cookies["sessionid"] = plain.session_key
    assert client.get("/").wsgi_request.user == member.user
