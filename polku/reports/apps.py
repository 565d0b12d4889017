from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "polku.reports"
    label = "reports"
