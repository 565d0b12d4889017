from django.urls import path

from polku.experiments import views

app_name = "experiments"

P = "o/<slug:org_slug>/paths/<int:path_pk>/experiments/"

urlpatterns = [
    path(P, views.board, name="board"),
    path(P + "new/", views.experiment_edit, name="create"),
    path(P + "library/", views.library, name="library"),
    path(P + "results/", views.results, name="results"),
    path(P + "measures/", views.measure_types, name="measure_types"),
    path(P + "<int:pk>/", views.detail, name="detail"),
    path(P + "<int:pk>/edit/", views.experiment_edit, name="edit"),
    path(P + "<int:pk>/action/", views.experiment_action, name="action"),
    path(P + "<int:pk>/decide/", views.decide, name="decide"),
    path(P + "<int:pk>/checkin/", views.checkin_app, name="checkin"),
    path(P + "<int:pk>/adopt/", views.adopt, name="adopt"),
    path("c/<str:token>/", views.checkin_link, name="checkin_link"),
]
