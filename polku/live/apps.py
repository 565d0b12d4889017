from django.apps import AppConfig


class LiveConfig(AppConfig):
    name = "polku.live"
    label = "live"
