import datetime as dt
from decimal import Decimal
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from polku.core.tests.factories import (
    MembershipFactory,
    PathFactory,
    UnitFactory,
    WorkshopDayFactory,
)
from polku.experiments import services
from polku.experiments.models import CheckIn, CheckInValue, Experiment, MeasureType, Reminder
from polku.experiments.tests.factories import MeasureTypeFactory
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db

HEL = ZoneInfo("Europe/Helsinki")


@pytest.fixture(autouse=True)
def finnish():
    with translation.override("fi"):
        yield


@pytest.fixture
def experiment():
    path = PathFactory(
        starts_on=dt.date(2027, 1, 1), ends_on=dt.date(2027, 6, 30), checkin_interval_days=21
    )
    unit = UnitFactory(organisation=path.organisation, name="Oulun osasto")
    reached = MeasureTypeFactory(path=path, name="tavoitettu")
    money = MeasureTypeFactory(
        path=path, name="kerätty", kind=MeasureType.Kind.MONEY, unit_label="€"
    )
    return services.experiment_create(
        path=path,
        unit=unit,
        title="Kaveri mukaan -ilta",
        contact_email="oulu@example.org",
        first_step_on=dt.date(2027, 1, 10),
        targets={reached: 50, money: 500},
    )


def measure(experiment, name):
    return experiment.measures.get(measure_type__name=name)


def test_checkin_stores_values_and_starts_planned_experiment(experiment):
    reached = measure(experiment, "tavoitettu")
    checkin, created = services.checkin_submit(
        experiment=experiment,
        slot=dt.date(2027, 1, 31),
        values={reached.pk: "12", measure(experiment, "kerätty").pk: "120,50"},
        what_we_did="Kaksi iltaa",
    )
    assert created is True
    assert sorted(checkin.values.values_list("value", flat=True)) == [
        Decimal("12.00"),
        Decimal("120.50"),
    ]
    experiment.refresh_from_db()
    assert (experiment.status, experiment.started_on) == ("running", dt.date(2027, 1, 31))


def test_double_submit_stores_once(experiment):
    reached = measure(experiment, "tavoitettu")
    first, created1 = services.checkin_submit(
        experiment=experiment, slot=dt.date(2027, 1, 31), values={reached.pk: 5}
    )
    second, created2 = services.checkin_submit(
        experiment=experiment, slot=dt.date(2027, 1, 31), values={reached.pk: 7}
    )
    assert (created1, created2) == (True, False)
    assert first.pk == second.pk
    assert CheckIn.objects.count() == 1
    assert list(CheckInValue.objects.values_list("value", flat=True)) == [Decimal("5.00")]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("-3", "Luku ei voi olla negatiivinen."),
        ("abc", "Syötä luku."),
        ("2.5", "Anna kokonaisluku."),
        ("100001", "Luku on liian suuri: enintään 100 000."),
        ("NaN", "Syötä luku."),
    ],
)
def test_bad_numbers_rejected_in_finnish_and_nothing_stored(experiment, raw, message):
    reached = measure(experiment, "tavoitettu")
    with pytest.raises(ValidationError) as exc:
        services.checkin_submit(
            experiment=experiment, slot=dt.date(2027, 1, 31), values={reached.pk: raw}
        )
    assert exc.value.message_dict == {f"measure_{reached.pk}": [message]}
    assert CheckIn.objects.count() == 0


def test_percent_above_100_rejected(experiment):
    pct = MeasureTypeFactory(path=experiment.path, name="osuus", kind=MeasureType.Kind.PERCENT)
    services.experiment_update(
        experiment=experiment,
        targets={pct: 50, **{m.measure_type: m.target for m in experiment.measures.all()}},
    )
    m = measure(experiment, "osuus")
    with pytest.raises(ValidationError) as exc:
        services.checkin_submit(
            experiment=experiment, slot=dt.date(2027, 1, 31), values={m.pk: "101"}
        )
    assert exc.value.message_dict == {f"measure_{m.pk}": ["Luku on liian suuri: enintään 100."]}


def test_support_request_notifies_facilitator(
    experiment, mailoutbox, django_capture_on_commit_callbacks
):
    facilitator = MembershipFactory(
        organisation=experiment.path.organisation, role=Membership.Role.FACILITATOR
    )
    MembershipFactory(organisation=experiment.path.organisation, role=Membership.Role.COORDINATOR)
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin_submit(
            experiment=experiment,
            slot=dt.date(2027, 1, 31),
            values={},
            needs_support=True,
            support_request="Tarvitsemme tilan",
        )
    assert [m.to for m in mailoutbox] == [[facilitator.user.email]]
    assert mailoutbox[0].subject == "Tukea pyydetty: Kaveri mukaan -ilta"
    assert "Tarvitsemme tilan" in mailoutbox[0].body
    assert list(experiment.log.values_list("kind", flat=True)) == [
        "created",
        "started",
        "checkin",
        "support",
    ]


# --------------------------------------------------------------------------- magic links


def test_link_submit_uses_link_and_second_submit_writes_nothing(experiment):
    link, token = services.checkin_link_create(experiment=experiment, slot=dt.date(2027, 1, 31))
    assert link.token_hash != token and len(link.token_hash) == 64
    reached = measure(experiment, "tavoitettu")
    services.checkin_submit_with_link(token=token, values={reached.pk: "9"}, what_we_did="Ilta")
    with pytest.raises(services.LinkInvalid) as exc:
        services.checkin_submit_with_link(token=token, values={reached.pk: "9"}, what_we_did="Ilta")
    assert exc.value.reason == "used"
    assert CheckIn.objects.get().source == "link"
    assert CheckInValue.objects.count() == 1


def test_link_bad_value_keeps_link_usable(experiment):
    _link, token = services.checkin_link_create(experiment=experiment, slot=dt.date(2027, 1, 31))
    reached = measure(experiment, "tavoitettu")
    with pytest.raises(ValidationError):
        services.checkin_submit_with_link(token=token, values={reached.pk: "-1"})
    services.checkin_submit_with_link(token=token, values={reached.pk: "1"})
    assert CheckIn.objects.count() == 1


def test_expired_revoked_tampered_and_closed_links_rejected(experiment):
    with time_machine.travel(dt.datetime(2027, 1, 31, 12, tzinfo=HEL), tick=False):
        link, token = services.checkin_link_create(experiment=experiment, slot=dt.date(2027, 1, 31))
        _link2, token2 = services.checkin_link_create(
            experiment=experiment, slot=dt.date(2027, 2, 21)
        )
        _link3, token3 = services.checkin_link_create(
            experiment=experiment, slot=dt.date(2027, 3, 14)
        )
    assert link.expires_at == dt.datetime(2027, 2, 28, 12, tzinfo=HEL)  # interval 21 + 7 days
    with time_machine.travel(dt.datetime(2027, 2, 28, 12, 0, 1, tzinfo=HEL)):
        with pytest.raises(services.LinkInvalid) as exc:
            services.checkin_link_check(token=token)
        assert exc.value.reason == "expired"
    with time_machine.travel(dt.datetime(2027, 2, 1, 12, tzinfo=HEL)):
        services.checkin_link_revoke(link=_link2)
        for bad, reason in [
            (token2, "revoked"),
            (token[:-1] + ("A" if token[-1] != "A" else "B"), "unknown"),
            ("", "unknown"),
        ]:
            with pytest.raises(services.LinkInvalid) as exc:
                services.checkin_submit_with_link(token=bad, values={})
            assert exc.value.reason == reason
        services.experiment_start(experiment=experiment)
        services.experiment_decide(experiment=experiment, decision="stop")
        with pytest.raises(services.LinkInvalid) as exc:
            services.checkin_link_check(token=token3)
        assert exc.value.reason == "revoked"  # deciding revokes open links
    assert CheckIn.objects.count() == 0


# --------------------------------------------------------------------------- schedule


def test_schedule_follows_cadence_and_workshop_days(experiment):
    path = experiment.path
    day = WorkshopDayFactory(path=path, starts_at=dt.datetime(2027, 4, 1, 9, tzinfo=HEL))
    slots = services.checkin_schedule(experiment=experiment, path=path, workshop_days=[day])
    dates = [(s.date.isoformat(), s.kind) for s in slots]
    # anchor = first step 10.1.; every 21 days; the one 23.3. is replaced by "before workshop" 25.3.
    assert dates[:4] == [
        ("2027-01-31", "cadence"),
        ("2027-02-21", "cadence"),
        ("2027-03-14", "cadence"),
        ("2027-03-25", "before_workshop"),
    ]
    assert dates[4] == ("2027-04-25", "cadence")
    assert dates[-1] == ("2027-06-27", "cadence")


# --------------------------------------------------------------------------- reminders


def at(y, m, d, h=8):
    return time_machine.travel(dt.datetime(y, m, d, h, tzinfo=HEL), tick=False)


def test_reminder_sent_once_per_slot_with_working_link(
    experiment, mailoutbox, django_capture_on_commit_callbacks
):
    with at(2027, 1, 30), django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_schedule_due() == 0
    with at(2027, 1, 31):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_schedule_due() == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_schedule_due() == 0
    with at(2027, 2, 5), django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_schedule_due() == 0
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["oulu@example.org"]
    assert mail.subject == "Kuulumiset: miten Kaveri mukaan -ilta sujuu?"
    token = mail.body.split("/c/")[1].split("/")[0]
    with at(2027, 2, 5):
        link = services.checkin_link_check(token=token)
    assert link.slot == dt.date(2027, 1, 31)
    reminder = Reminder.objects.get()
    assert (reminder.status, reminder.attempts, reminder.link_id) == ("sent", 1, link.pk)


def test_no_reminder_when_slot_already_reported_or_experiment_decided(
    experiment, mailoutbox, django_capture_on_commit_callbacks
):
    services.checkin_submit(experiment=experiment, slot=dt.date(2027, 1, 31), values={})
    with at(2027, 2, 1), django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_schedule_due() == 0
    services.experiment_decide(experiment=experiment, decision="stop")
    with at(2027, 2, 22), django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_schedule_due() == 0
    assert mailoutbox == []


def test_reminder_task_skips_when_decided_between_enqueue_and_send(experiment, mailoutbox):
    with at(2027, 1, 31):
        services.reminders_schedule_due()  # on_commit not run: the task is "in the queue"
    services.experiment_start(experiment=experiment)
    services.experiment_decide(experiment=experiment, decision="stop")
    reminder = Reminder.objects.get()
    assert services.reminder_send(reminder_id=reminder.pk) == "skipped"
    assert mailoutbox == []


DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_reminder_idempotent_when_worker_killed_between_enqueue_and_send(
    experiment, mailoutbox, settings, django_capture_on_commit_callbacks, monkeypatch
):
    """The real queue (django-tasks-db): the worker dies after taking the task and before the
    email goes out; a restarted worker and re-run scheduler send exactly one reminder."""
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DB_TASKS
    # The worker closes "old" connections between tasks; in a test that would close the test's
    # own connection (PostgreSQL), so keep it open.
    monkeypatch.setattr(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    )
    with at(2027, 1, 31, 8):
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_schedule_due() == 1
        assert DBTaskResult.objects.count() == 1
        # The worker takes the task and is killed (SIGKILL ≈ the process vanishes) inside send.
        with mock.patch(
            "polku.experiments.services.EmailMessage.send", side_effect=SystemExit(137)
        ):
            call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
        assert mailoutbox == []
        reminder = Reminder.objects.get()
        assert (reminder.status, reminder.attempts) == ("queued", 1)
        # Scheduler runs again right away: nothing new (the claim is fresh).
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_schedule_due() == 0
    with at(2027, 1, 31, 9):
        # The claim went stale: the scheduler enqueues the same reminder twice (two cron runs
        # racing); the restarted worker sends exactly one email.
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_schedule_due() == 1
        from polku.experiments.tasks import send_checkin_reminder

        send_checkin_reminder.enqueue(reminder_id=reminder.pk)
        call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.reminders_schedule_due() == 0
        call_command("db_worker", batch=True, interval=0, startup_delay=False, verbosity=0)
    assert len(mailoutbox) == 1
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("sent", 2)
    assert Reminder.objects.count() == 1
    # The first (never-sent) link was revoked; only the emailed one works.
    assert reminder.experiment.links.filter(revoked_at__isnull=True).count() == 1


def test_send_due_reminders_command(experiment, mailoutbox):
    with at(2027, 1, 31):
        call_command("send_due_reminders", stdout=mock.MagicMock())
    assert Reminder.objects.count() == 1


def test_other_units_experiments_get_their_own_reminders(
    experiment, mailoutbox, django_capture_on_commit_callbacks
):
    other = services.experiment_create(
        path=experiment.path,
        title="Toinen",
        contact_email="pori@example.org",
        first_step_on=dt.date(2027, 1, 10),
    )
    services.experiment_create(
        path=experiment.path, title="Ei sähköpostia", first_step_on=dt.date(2027, 1, 10)
    )
    with at(2027, 1, 31), django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_schedule_due() == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["oulu@example.org", "pori@example.org"]
    assert Experiment.objects.get(pk=other.pk).reminders.count() == 1


def test_before_workshop_reminder_names_the_workshop(
    experiment, mailoutbox, django_capture_on_commit_callbacks
):
    WorkshopDayFactory(
        path=experiment.path,
        title="Seurantatyöpaja",
        starts_at=dt.datetime(2027, 4, 1, 9, tzinfo=HEL),
    )
    with at(2027, 3, 25), django_capture_on_commit_callbacks(execute=True):
        assert services.reminders_schedule_due() == 1
    [mail] = mailoutbox
    assert mail.subject == "Ennen työpajaa: miten Kaveri mukaan -ilta sujuu?"
    assert "Työpaja ”Seurantatyöpaja” pidetään 1.4.2027." in mail.body
    assert Reminder.objects.get().kind == "before_workshop"
