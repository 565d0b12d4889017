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

        from polku.reports.services import workshop_summary_after_day_closed
        from polku.workshops.hooks import day_closed

        day_closed.register(
            name="reports.workshop_summary",
            label=_("Making the workshop summary"),
            order=90,
            run=workshop_summary_after_day_closed,
        )
