from django.apps import AppConfig


class GroupingConfig(AppConfig):
    name = "polku.grouping"
    label = "grouping"
