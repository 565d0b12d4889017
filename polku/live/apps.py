from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "polku.live"
    label = "live"

    def ready(self) -> None:
        from polku.live.engine.closing import day_close_activities
        from polku.live.engine.rooms import staff_access_changed
        from polku.live.services import participants_purge_for_path
        from polku.organisations import retention
        from polku.organisations.hooks import membership_changed
        from polku.workshops.hooks import day_closed

        day_closed.register(
            name="live.close_open_activities",
            label=_("Saving the activities that were still open"),
            order=10,
            run=day_close_activities,
        )
        membership_changed.register(staff_access_changed)
        retention.register("participants", participants_purge_for_path)
