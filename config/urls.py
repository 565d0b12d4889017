from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.i18n import set_language

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/setlang/", set_language, name="set_language"),
    path("accounts/", include("polku.accounts.urls")),
    path("", include("polku.core.urls")),
    path("", include("polku.organisations.urls")),
    path("", include("polku.paths.urls")),
    path("", include("polku.live.urls")),
    path("", include("polku.activities.urls")),
    path("", include("polku.experiments.urls")),
    path("", include("polku.reports.urls")),
    path("", include("polku.juries.urls")),
]

if settings.POLKU_OIDC_ENABLED:  # staff sign-in through the organisation's identity provider
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
# a database out of connections answers 503 "try again", never a 500 (polku/core/busy.py)
handler500 = "polku.core.busy.server_error"
