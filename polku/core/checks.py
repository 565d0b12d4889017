"""Start-up checks of a production instance.

Without ``collectstatic`` every page that links a stylesheet answered 500 ("Missing staticfiles
manifest entry"). Now the check framework reports it (``manage.py check --deploy``) and the ASGI
application refuses to start with the command to run, instead of serving errors.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

MANIFEST_HINT = "Run: polku collectstatic --noinput (or manage.py collectstatic --noinput)."


def missing_static_manifest() -> str | None:
    """The manifest path when the storage needs one and it is not there, else None."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

    backend = settings.STORAGES.get("staticfiles", {}).get("BACKEND", "")
    if not backend or not issubclass(import_string(backend), ManifestFilesMixin):
        return None
    name = getattr(staticfiles_storage, "manifest_name", "staticfiles.json")
    path = settings.STATIC_ROOT / name if settings.STATIC_ROOT else None
    if path is None or not path.exists():
        return str(path)
    return None


@checks.register(checks.Tags.staticfiles, deploy=True)
def static_manifest_check(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    missing = missing_static_manifest()
    if missing is None:
        return []
    return [
        checks.Warning(
            f"Static files are not collected: {missing} is missing, so pages would answer 500.",
            hint=MANIFEST_HINT,
            id="polku.W001",
        )
    ]


def require_static_manifest() -> None:
    """Called by config/asgi.py when DEBUG is off: refuse to serve without collected files."""
    missing = missing_static_manifest()
    if missing is not None:
        raise ImproperlyConfigured(
            f"Static files are not collected ({missing} is missing). " + MANIFEST_HINT
        )
