from django.apps import AppConfig


class WorkshopsConfig(AppConfig):
    name = "polku.workshops"
    label = "workshops"
