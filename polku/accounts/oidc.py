"""Staff sign-in through the organisation's identity provider (OpenID Connect: Entra ID, Google
Workspace, Keycloak…), with mozilla-django-oidc; configured by the OIDC_* environment variables
(deploy/polku.env). Password log-in stays for organisations without one.

The provider proves who the person is; Polku decides what they may do. A verified email is
matched to an existing, active Polku account (made by an invitation or an admin) — the
provider never creates accounts or grants roles, so signing in to the provider alone gives no
access to any organisation.
"""

from __future__ import annotations

from typing import Any

from mozilla_django_oidc.auth import OIDCAuthenticationBackend


def staff_email(claims: dict[str, Any]) -> str | None:
    """The email the claims vouch for: ``email`` unless the provider says it is unverified;
    Entra ID without the email claim: ``preferred_username``/``upn`` when it is an address."""
    if claims.get("email_verified") is False:
        return None
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        fallback = claims.get("preferred_username") or claims.get("upn")
        email = fallback if isinstance(fallback, str) and "@" in fallback else ""
    email = email.strip().lower()
    return email or None


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return staff_email(claims) is not None

    def filter_users_by_claims(self, claims: dict[str, Any]):
        email = staff_email(claims)
        if email is None:
            return self.UserModel.objects.none()
        return self.UserModel.objects.filter(email__iexact=email, is_active=True)

    def create_user(self, claims: dict[str, Any]):
        return None  # accounts come from invitations, never from the provider

    def update_user(self, user, claims: dict[str, Any]):
        return user  # the name in Polku is the person's own; nothing is copied over
