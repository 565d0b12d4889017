from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "polku.activities"
    label = "activities"

    def ready(self) -> None:
        from polku.activities.registry import autodiscover

        autodiscover()
