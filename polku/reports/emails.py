"""Emails of the reports app, built at send time (see polku.core.email)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from polku.core.email import Email
from polku.reports.models import WorkshopSummary
from polku.reports.services import workshop_summary_link_mint, workshop_summary_recipients


def summary_email(*, summary: int, language: str = "fi") -> list[Email] | None:
    """One message per recipient (nobody sees another's address), all with the one new link."""
    record = (
        WorkshopSummary.objects.select_related("workshop_day__path__organisation")
        .filter(pk=summary, status=WorkshopSummary.Status.SENT)
        .first()
    )
    if record is None:
        return None
    recipients = workshop_summary_recipients(summary=record)
    if not recipients:
        return None
    token = workshop_summary_link_mint(summary=record)
    url = settings.POLKU_BASE_URL + reverse("reports:summary_public", args=[token])
    day = record.workshop_day
    with translation.override(language):
        subject = _("Summary of the workshop day: %(title)s") % {"title": day.title}
    context = {"day": day, "path": day.path, "url": url, "summary": record}
    return [
        Email(to=[email], subject=subject, template="reports/email/summary.txt",
              context=context, language=language)
        for email in recipients
    ]  # fmt: skip
