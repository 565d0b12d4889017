from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "polku.experiments"
    label = "experiments"

    def ready(self) -> None:
        from polku.core import hooks, scheduler
        from polku.core.demo import DEMO_EXTENSIONS
        from polku.core.email import email_kinds
        from polku.experiments import emails
        from polku.experiments.demo import load_experiments_demo
        from polku.experiments.services import checkin_links_purge_for_path, reminders_schedule_due

        email_kinds.register("experiments.adopted", emails.adopted_email)
        email_kinds.register("experiments.support_needed", emails.support_needed_email)
        email_kinds.register("experiments.checkin_link", emails.checkin_link_email)
        if load_experiments_demo not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(load_experiments_demo)
        scheduler.register("experiments.reminders", reminders_schedule_due, every_seconds=900)
        hooks.path_retention.register(checkin_links_purge_for_path, name="checkin_links")
