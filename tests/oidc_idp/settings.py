"""A real OpenID Connect provider for the tests: django-oidc-provider in its own Django project,
run in a second process (`python -m django runserver` with these settings). Polku signs staff
in against it exactly as against Entra ID, Google Workspace or Keycloak: discovery-free
endpoints, the authorization-code flow, RS256-signed ID tokens checked against the JWKS.
"""

import os

SECRET_KEY = "idp-test-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "tests.oidc_idp.urls"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "oidc_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "templates")],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["IDP_DATABASE"]}
}
USE_TZ = True
LOGIN_URL = "/login/"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
OIDC_USERINFO = "tests.oidc_idp.settings.userinfo"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def userinfo(claims, user):
    claims["email"] = user.email
    claims["email_verified"] = True
    claims["name"] = user.get_full_name() or user.username
    claims["given_name"] = user.first_name
    claims["family_name"] = user.last_name
    return claims


# The provider and Polku both run on 127.0.0.1 here, and cookies do not keep ports apart: the
# provider's own session and CSRF cookies must not overwrite Polku's.
SESSION_COOKIE_NAME = "idp_sessionid"
CSRF_COOKIE_NAME = "idp_csrftoken"
