from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "polku.core"
    label = "core"

    def ready(self) -> None:
        from polku.core import checks, health, metrics, scheduler  # noqa: F401 (checks registers)
        from polku.core.services import housekeeping

        metrics.register()
        scheduler.register("core.worker_heartbeat", health.heartbeat_enqueue, every_seconds=60)
        scheduler.register("core.housekeeping", housekeeping, every_seconds=3600)
