"""Writes for accounts: the password reset by email."""

from __future__ import annotations

from axes.utils import reset as axes_reset
from django.utils import translation

from polku.accounts.models import User
from polku.core import ratelimit
from polku.core.email import email_enqueue_on_commit


def password_reset_request(*, email: str, users: list[User], language: str | None = None) -> int:
    """Email a reset link to each active account of ``email`` (at most ``password_reset.account``
    times an hour; the page says the same either way, so it tells nobody whether the address
    has an account). The link is made when the email is sent: the queue holds only the user
    id. Returns the number of emails enqueued."""
    key = email.strip().lower()
    if not users or not ratelimit.hit("password_reset.account", key):
        return 0
    for user in users:
        email_enqueue_on_commit(
            kind="accounts.password_reset",
            user=user.pk,
            language=language or translation.get_language() or "fi",
        )
    return len(users)


def password_reset_completed(*, user: User) -> None:
    """A reset proves who the user is: forget their failed log-ins and any lockout."""
    ratelimit.clear("login.account", user.email.strip().lower())
    axes_reset(username=user.email)
