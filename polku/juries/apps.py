from django.apps import AppConfig


class JuriesConfig(AppConfig):
    name = "polku.juries"
    label = "juries"

    def ready(self) -> None:
        from polku.core.demo import DEMO_EXTENSIONS
        from polku.juries.demo import demo_jury

        if demo_jury not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_jury)
