"""Emails of the organisations app, built at send time (see polku.core.email)."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from polku.core.email import Email
from polku.organisations.models import Invitation
from polku.organisations.services import invitation_link_mint


def invitation_email(*, invitation: int, language: str = "fi") -> Email | None:
    found = Invitation.objects.select_related("organisation", "invited_by").filter(pk=invitation)
    record = found.first()
    if record is None or not record.is_open:
        return None  # revoked, accepted or expired before the worker got to it
    link = invitation_link_mint(invitation=record)
    with translation.override(language):
        subject = _("Invitation to %(org)s in Polku") % {"org": record.organisation.name}
        role = record.get_role_display()
    return Email(
        to=[record.email],
        subject=subject,
        template="organisations/email/invitation.txt",
        context={
            "invitation": record,
            "link": link,
            "inviter": record.invited_by.display_name if record.invited_by else "",
            "role": role,
            "days": settings.INVITATION_VALID_DAYS,
        },
        language=language,
    )
