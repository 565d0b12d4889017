from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "polku.reports"
    label = "reports"

    def ready(self) -> None:
        from polku.core.demo import DEMO_EXTENSIONS
        from polku.core.email import email_kinds
        from polku.reports.demo import demo_reports
        from polku.reports.emails import summary_email

        email_kinds.register("reports.summary", summary_email)
        if demo_reports not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_reports)

        from polku.core import hooks
        from polku.reports.services import workshop_summary_after_day_closed

        hooks.day_closed.register(
            workshop_summary_after_day_closed,
            name="reports.workshop_summary",
            label=_("Making the workshop summary"),
            order=90,
        )
