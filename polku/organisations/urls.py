from django.urls import path

from polku.organisations import views

app_name = "organisations"

urlpatterns = [
    path("", views.home, name="home"),
    path("o/new/", views.organisation_create, name="create"),
    path("o/<slug:org_slug>/", views.organisation_detail, name="detail"),
    path("o/<slug:org_slug>/units/", views.unit_list, name="units"),
    path("o/<slug:org_slug>/units/<int:pk>/", views.unit_edit, name="unit_edit"),
    path("o/<slug:org_slug>/members/", views.member_list, name="members"),
    path("o/<slug:org_slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "o/<slug:org_slug>/invitations/<int:pk>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitation/<str:token>/", views.invitation_accept, name="invitation_accept"),
]
