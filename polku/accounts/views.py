from django.conf import settings
from django.contrib.auth import views as auth_views

from polku.accounts.forms_login import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.POLKU_OIDC_ENABLED
        context["oidc_label"] = settings.POLKU_OIDC_LABEL
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        return context


class LogoutView(auth_views.LogoutView):
    pass
