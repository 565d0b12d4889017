"""ASGI entry point: HTTP through Django (the phone's join page and static files answered
before it, polku/live/phone_http.py), websockets through Channels (see config/routing.py)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
django_asgi_app = get_asgi_application()

from django.conf import settings  # noqa: E402

if not settings.DEBUG and not getattr(settings, "WHITENOISE_USE_FINDERS", False):
    from polku.core.checks import require_static_manifest

    require_static_manifest()  # production: no instance serves 500s for want of collectstatic

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware  # noqa: E402

from config.routing import websocket_urlpatterns  # noqa: E402
from polku.live.phone_http import phone_http  # noqa: E402

application = ProtocolTypeRouter(
    {
        # the join page and static files without a per-request thread (polku/live/phone_http.py)
        "http": phone_http(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(
            CookieMiddleware(URLRouter(websocket_urlpatterns))
        ),
    }
)
