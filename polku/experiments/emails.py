"""Emails of the experiments app, built at send time (see polku.core.email)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from polku.core.email import Email
from polku.experiments.models import CheckIn, Experiment
from polku.experiments.services import _facilitator_emails, checkin_link_create


def _detail_url(experiment: Experiment) -> str:
    path = experiment.path
    return settings.POLKU_BASE_URL + reverse(
        "experiments:detail", args=[path.organisation.slug, path.pk, experiment.pk]
    )


def adopted_email(*, copy: int) -> Email | None:
    record = (
        Experiment.objects.select_related("adopted_from", "unit", "path__organisation")
        .filter(pk=copy)
        .first()
    )
    original = record.adopted_from if record else None
    if record is None or original is None or not original.contact_email:
        return None
    language = original.contact_language or "fi"
    with translation.override(language):
        subject = _("%(unit)s is copying your experiment") % {"unit": record.unit.name}
    return Email(
        to=[original.contact_email],
        subject=subject,
        template="experiments/email/adopted.txt",
        context={
            "original": original,
            "copy": record,
            "unit": record.unit,
            "url": _detail_url(record),
        },
        language=language,
    )


def support_needed_email(*, checkin: int) -> Email | None:
    record = CheckIn.objects.select_related("experiment__path__organisation").filter(pk=checkin)
    found = record.first()
    if found is None:
        return None
    experiment = found.experiment
    with translation.override("fi"):
        subject = _("Support requested: %(title)s") % {"title": experiment.title}
    return Email(
        to=_facilitator_emails(experiment.path),
        subject=subject,
        template="experiments/email/support_needed.txt",
        context={"experiment": experiment, "checkin": found, "url": _detail_url(experiment)},
        language="fi",
    )


def checkin_link_email(*, experiment: int, slot: str) -> Email | None:
    record = Experiment.objects.select_related("path").filter(pk=experiment).first()
    if record is None or not record.contact_email:
        return None
    link, token = checkin_link_create(experiment=record, slot=dt.date.fromisoformat(slot))
    language = record.contact_language or "fi"
    with translation.override(language):
        subject = _("Check-in: how is %(title)s going?") % {"title": record.title}
    return Email(
        to=[link.email],
        subject=subject,
        template="experiments/email/reminder.txt",
        context={
            "experiment": record,
            "path": record.path,
            "reminder": None,
            "url": settings.POLKU_BASE_URL + reverse("experiments:checkin_link", args=[token]),
            "expires_at": link.expires_at,
        },
        language=language,
    )
