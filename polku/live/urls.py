from django.urls import path

from polku.live import views

app_name = "live"

D = "o/<slug:org_slug>/paths/<int:path_pk>/days/<int:day_pk>/live/"

urlpatterns = [
    path("j/", views.join, name="join"),
    path("j/<str:code>/", views.participant, name="participant"),
    path("j/<str:code>/me/", views.stored_about_me, name="me"),
    path("j/<str:code>/events/", views.events, name="events"),
    path("j/<str:code>/send/", views.send, name="send"),
    path("o/<slug:org_slug>/meeting-rooms/", views.meeting_settings, name="meeting_settings"),
    path(D, views.console, name="console"),
    path(D + "screen/", views.screen, name="screen"),
    path(D + "status/", views.day_status, name="day_status"),
    path(D + "end/", views.day_end, name="day_end"),
    path(D + "slots/<int:slot_pk>/", views.slot_config, name="slot_config"),
]
