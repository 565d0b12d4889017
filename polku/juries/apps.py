from django.apps import AppConfig


class JuriesConfig(AppConfig):
    name = "polku.juries"
    label = "juries"

    def ready(self) -> None:
        from polku.core import hooks
        from polku.core.demo import DEMO_EXTENSIONS
        from polku.core.email import email_kinds
        from polku.juries.demo import demo_jury
        from polku.juries.emails import invitation_email
        from polku.juries.selectors import experiment_origins_from_juries

        email_kinds.register("juries.invitation", invitation_email)
        if demo_jury not in DEMO_EXTENSIONS:
            DEMO_EXTENSIONS.append(demo_jury)
        # experiments made from a recommendation name the jury on their page
        hooks.experiment_origins.register(experiment_origins_from_juries, name="juries")
