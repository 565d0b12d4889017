from django.apps import AppConfig


class PathsConfig(AppConfig):
    name = "polku.paths"
    label = "paths"
