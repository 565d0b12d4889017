from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "polku.experiments"
    label = "experiments"
