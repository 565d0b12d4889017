"""Emails of the accounts app, built at send time (see polku.core.email)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext_lazy as _

from polku.accounts.models import User
from polku.core.email import Email


def password_reset_email(*, user: int, language: str = "fi") -> Email | None:
    """Django's reset token is derived from the account's current state (password hash, last
    log-in) and made here, at send time; a used or outdated link stops working by itself."""
    record = User.objects.filter(pk=user, is_active=True).first()
    if record is None or not record.has_usable_password():
        return None
    uid = urlsafe_base64_encode(force_bytes(record.pk))
    token = default_token_generator.make_token(record)
    link = settings.POLKU_BASE_URL + reverse("accounts:password_reset_confirm", args=[uid, token])
    return Email(
        to=[record.email],
        subject=_("Reset your Polku password"),
        template="accounts/email/password_reset.txt",
        context={"user": record, "link": link, "hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
        language=language,
    )
