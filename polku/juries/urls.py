from django.urls import path

from polku.juries import views

app_name = "juries"

P = "o/<slug:org_slug>/juries/"
J = P + "<int:pk>/"

urlpatterns = [
    path(P, views.jury_list, name="list"),
    path(P + "new/", views.jury_create, name="create"),
    path(J, views.jury_detail, name="detail"),
    path(J + "edit/", views.jury_edit, name="edit"),
    path(J + "pool/", views.pool, name="pool"),
    path(J + "quotas/", views.quotas, name="quotas"),
    path(J + "lottery/", views.lottery_page, name="lottery"),
    path(J + "lottery/action/", views.lottery_action, name="lottery_action"),
    path(J + "runs/<int:run_pk>/status/", views.run_status, name="run_status"),
    path(J + "draws/<int:draw_pk>/lottery.json", views.lottery_download, name="lottery_file"),
    path(J + "fairness/", views.fairness, name="fairness"),
    path(J + "fairness.csv", views.fairness_csv, name="fairness_csv"),
    path(J + "panel/", views.panel, name="panel"),
    path(J + "audit/", views.audit, name="audit"),
    path(J + "recommendations/", views.recommendations, name="recommendations"),
    path(
        J + "recommendations/<int:rec_pk>/", views.recommendation_edit, name="recommendation_edit"
    ),
    path(J + "statement/", views.statement, name="statement"),
    path(J + "statement.pdf", views.statement_pdf, name="statement_pdf"),
    path(J + "recommendations/<int:rec_pk>/response/", views.response_edit, name="response"),
    path("jury/verify/", views.verify, name="verify"),
    path("jury/s/<str:token>/", views.public_statement, name="public_statement"),
    path("jury/join/<str:token>/", views.signup, name="signup"),
    path("jury/m/done/", views.member_done, name="member_done"),
    path("jury/m/<str:token>/", views.member, name="member"),
    path("jury/m/<str:token>/new/", views.member_new_recommendation, name="member_new"),
    path(
        "jury/m/<str:token>/r/<int:rec_pk>/", views.member_recommendation_edit, name="member_edit"
    ),
]
