from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "polku.reports"
    label = "reports"

    def ready(self) -> None:
        from polku.core.demo import DEMO_EXTENSIONS
        from polku.reports.demo import demo_reports

        if demo_reports not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_reports)
