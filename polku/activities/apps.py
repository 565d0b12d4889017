from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "polku.activities"
    label = "activities"
