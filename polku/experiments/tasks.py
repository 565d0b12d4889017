"""Background tasks (run by `manage.py db_worker`)."""

from django.tasks import task


@task()
def send_checkin_reminder(*, reminder_id: int) -> str:
    from polku.experiments.services import reminder_send

    return reminder_send(reminder_id=reminder_id)


@task()
def schedule_due_reminders() -> int:
    """The periodic job: `manage.py send_due_reminders` (cron) runs the same function."""
    from polku.experiments.services import reminders_schedule_due

    return reminders_schedule_due()
