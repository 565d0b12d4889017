from django.apps import AppConfig


class JuriesConfig(AppConfig):
    name = "polku.juries"
    label = "juries"
