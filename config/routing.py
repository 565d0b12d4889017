"""Websocket routes. Live-room consumers register here."""

websocket_urlpatterns: list = []
