from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "polku.organisations"
    label = "organisations"

    def ready(self) -> None:
        from polku.core import scheduler
        from polku.organisations.retention import retention_enqueue

        scheduler.register("organisations.retention", retention_enqueue, every_seconds=6 * 3600)
