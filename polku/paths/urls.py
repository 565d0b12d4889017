from django.urls import path

from polku.paths import views

app_name = "paths"

P = "o/<slug:org_slug>/paths/"

urlpatterns = [
    path(P + "new/", views.path_create, name="create"),
    path(P + "<int:pk>/", views.path_detail, name="detail"),
    path(P + "<int:pk>/edit/", views.path_edit, name="edit"),
    path(P + "<int:path_pk>/days/new/", views.workshop_day_edit, name="day_create"),
    path(P + "<int:path_pk>/days/<int:pk>/", views.workshop_day_edit, name="day_edit"),
    path(P + "<int:path_pk>/days/<int:pk>/calendar.ics", views.workshop_day_ics, name="day_ics"),
    path(
        P + "<int:path_pk>/days/<int:day_pk>/agenda/new/",
        views.agenda_slot_edit,
        name="slot_create",
    ),
    path(
        P + "<int:path_pk>/days/<int:day_pk>/agenda/<int:pk>/",
        views.agenda_slot_edit,
        name="slot_edit",
    ),
    path(
        P + "<int:path_pk>/days/<int:day_pk>/agenda/<int:pk>/action/",
        views.agenda_slot_action,
        name="slot_action",
    ),
    path(
        P + "<int:path_pk>/days/<int:day_pk>/agenda/<int:pk>/remove/",
        views.agenda_slot_remove,
        name="slot_remove",
    ),
    path("calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
]
