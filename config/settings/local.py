"""Local mode (``make run``): DEBUG, console email, SECRET_KEY kept in ``.secret_key``."""

import os
import secrets
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, LOGGING


def _local_secret_key() -> str:
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = BASE_DIR / ".secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _local_secret_key()
DEBUG = os.environ.get("DEBUG", "1") == "1"

# Serve static files straight from the app directories (no collectstatic needed for make run).
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
if os.environ.get("STATIC_ROOT"):  # as in production (make bench-live collects into a temp dir)
    STATIC_ROOT = Path(os.environ["STATIC_ROOT"])
STATIC_ROOT.mkdir(exist_ok=True)

# The task worker beside `make run` prints every email it sends (console mailer) in the
# terminal; its routine "task RUNNING/SUCCESSFUL" lines and the scheduler's "scheduled job …:
# enqueued" lines are left out (they would bury the emails), failures are shown.
LOGGING = {
    **LOGGING,
    "handlers": {
        **LOGGING["handlers"],
        "warnings": {"class": "logging.StreamHandler", "level": "WARNING"},
    },
    "loggers": {
        **LOGGING["loggers"],
        "django.tasks": {"handlers": ["warnings"], "level": "INFO", "propagate": False},
        "django_tasks_db": {"handlers": ["warnings"], "level": "INFO", "propagate": False},
        "polku.scheduler": {"handlers": ["warnings"], "level": "INFO", "propagate": False},
    },
}
