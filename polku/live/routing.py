"""Websocket routes of the live room (included by config/routing.py)."""

from django.urls import re_path

from polku.live.consumers import ConsoleConsumer, LiveConsumer, ScreenConsumer

websocket_urlpatterns: list = [
    re_path(r"^ws/live/(?P<code>[A-Za-z0-9]{1,12})/$", LiveConsumer.as_asgi()),
    re_path(r"^ws/live/(?P<code>[A-Za-z0-9]{1,12})/screen/$", ScreenConsumer.as_asgi()),
    re_path(r"^ws/live/(?P<code>[A-Za-z0-9]{1,12})/console/$", ConsoleConsumer.as_asgi()),
]
