"""Websocket routes. Each live app contributes its own `websocket_urlpatterns`."""

from polku.live.routing import websocket_urlpatterns as live_patterns

websocket_urlpatterns: list = [*live_patterns]
