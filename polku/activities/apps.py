from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "polku.activities"
    label = "activities"

    def ready(self) -> None:
        from polku.activities.demo import add_demo_results
        from polku.activities.registry import autodiscover
        from polku.core.demo import DEMO_EXTENSIONS

        autodiscover()
        if add_demo_results not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(add_demo_results)
