from django.urls import path

from polku.reports import views

app_name = "reports"

P = "o/<slug:org_slug>/paths/<int:pk>/"

urlpatterns = [
    path(P + "dashboard/", views.dashboard, name="dashboard"),
    path(P + "dashboard/data/<slug:key>.csv", views.dashboard_chart_csv, name="chart_csv"),
    path(P + "exports/", views.exports, name="exports"),
    path(P + "exports/<slug:name>.csv", views.export_table, {"fmt": "csv"}, name="export_csv"),
    path(P + "exports/<slug:name>.xlsx", views.export_table, {"fmt": "xlsx"}, name="export_xlsx"),
    path(P + "share/", views.share_links, name="share_links"),
    path(P + "impact/", views.impact, name="impact"),
    path(P + "impact/jobs/<int:job_pk>/", views.job, name="job"),
    path(P + "impact/jobs/<int:job_pk>/download/", views.job_download, name="job_download"),
    path(P + "days/<int:day_pk>/summary/", views.summary, name="summary"),
    path("o/<slug:org_slug>/data/", views.organisation_data, name="organisation_data"),
    path(
        "o/<slug:org_slug>/data/export.json", views.organisation_export, name="organisation_export"
    ),
    path("o/<slug:org_slug>/data/delete/", views.organisation_delete, name="organisation_delete"),
    path("share/<str:token>/", views.shared_report, name="shared"),
    path("summary/<str:token>/", views.summary_public, name="summary_public"),
]
