from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiveConfig(AppConfig):
    name = "polku.live"
    label = "live"

    def ready(self) -> None:
        from polku.core import hooks
        from polku.live.engine.closing import day_close_activities
        from polku.live.engine.rooms import staff_access_changed
        from polku.live.services import participants_purge_for_path

        hooks.day_closed.register(
            day_close_activities,
            name="live.close_open_activities",
            label=_("Saving the activities that were still open"),
            order=10,
        )
        hooks.membership_changed.register(staff_access_changed, name="live.staff_access_changed")
        hooks.path_retention.register(participants_purge_for_path, name="participants")
