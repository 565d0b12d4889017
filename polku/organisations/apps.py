from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "polku.organisations"
    label = "organisations"

    def ready(self) -> None:
        from polku.core import scheduler
        from polku.core.email import email_kinds
        from polku.organisations.emails import invitation_email
        from polku.organisations.retention import retention_enqueue

        scheduler.register("organisations.retention", retention_enqueue, every_seconds=6 * 3600)
        email_kinds.register("organisations.invitation", invitation_email)
