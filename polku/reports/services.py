"""Writes for reports: exports, organisation delete, share links, PDF jobs, workshop summaries."""

import datetime as dt
import json
import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from polku.accounts.models import User
from polku.core.email import email_enqueue_on_commit
from polku.organisations.models import Organisation
from polku.paths.models import Path
from polku.reports import datasets
from polku.reports.models import ReportJob, ShareLink, WorkshopSummary
from polku.reports.selectors import unit_contact_emails
from polku.reports.summary import opted_in_participant_emails
from polku.reports.tenant import tenant_models, tenant_rows
from polku.workshops.models import WorkshopDay

EXPORT_FORMAT_VERSION = 1
KEEP_JOBS = 10  # PDFs kept per path and kind


# --- organisation export and delete --------------------------------------------------------


def organisation_export(*, organisation: Organisation) -> dict[str, Any]:
    """Everything of the organisation as a JSON-ready dict (see docs/exports.md)."""
    data: dict[str, Any] = {
        "format": "polku-organisation-export",
        "version": EXPORT_FORMAT_VERSION,
        "exported_at": timezone.now(),
    }
    for dataset in datasets.available_org_datasets():
        data[dataset.name] = dataset.fn(organisation)
    return data


def organisation_export_json(*, organisation: Organisation) -> bytes:
    return json.dumps(
        organisation_export(organisation=organisation),
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        indent=2,
    ).encode("utf-8")


@transaction.atomic
def organisation_delete(*, organisation: Organisation, confirm_slug: str) -> dict[str, int]:
    """Remove every row of the tenant from every model that has an FK path to it.

    Leaf models are deleted first (so PROTECT references inside the tenant do not block), in
    rounds until nothing is left; self-references are cut first. User accounts are kept
    (a person may belong to other organisations); their memberships here go.
    Returns the number of rows deleted per model label.
    """
    if confirm_slug != organisation.slug:
        raise ValidationError(_("Type the organisation's short name exactly to confirm."))
    org_id = organisation.pk
    counts: dict[str, int] = {}
    order = sorted(tenant_models(), key=lambda t: -t.depth)
    for tm in order:
        for f in tm.model._meta.concrete_fields:
            if f.is_relation and f.related_model is tm.model and f.null:
                tenant_rows(tm, org_id).exclude(**{f.name: None}).update(**{f.name: None})
    for _round in range(5):
        remaining = False
        for tm in order:
            rows = tenant_rows(tm, org_id)
            if not rows.exists():
                continue
            try:
                with transaction.atomic():
                    _total, per_model = rows.delete()
            except (ProtectedError, RestrictedError):
                remaining = True
                continue
            for label, n in per_model.items():
                counts[label] = counts.get(label, 0) + n
        if not remaining:
            break
    leftovers = [tm.label for tm in tenant_models() if tenant_rows(tm, org_id).exists()]
    if leftovers:
        raise RuntimeError(f"rows of organisation {org_id} remain in {leftovers}")
    return counts


# --- share links ---------------------------------------------------------------------------


def share_link_create(
    *,
    path: Path,
    label: str,
    sections: list[str],
    expires_on: dt.date | None = None,
    created_by: User | None = None,
) -> tuple[ShareLink, str]:
    """Make a share link; returns the link and its token (shown once, only the hash is kept)."""
    label = label.strip()
    if not label:
        raise ValidationError(_("Give the link a name, e.g. “Board”."))
    unknown = set(sections) - set(ShareLink.Section.values)
    if unknown or not sections:
        raise ValidationError(_("Choose at least one thing to share."))
    expires_at = None
    if expires_on is not None:
        if expires_on < timezone.localdate():
            raise ValidationError(_("The expiry date cannot be in the past."))
        expires_at = timezone.make_aware(dt.datetime.combine(expires_on, dt.time(23, 59, 59)))
    token = secrets.token_urlsafe(24)
    link = ShareLink.objects.create(
        path=path,
        label=label,
        token_hash=ShareLink.hash_token(token),
        sections=[s for s in ShareLink.Section.values if s in sections],
        expires_at=expires_at,
        created_by=created_by,
    )
    return link, token


def share_link_revoke(*, link: ShareLink) -> ShareLink:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at", "updated_at"])
    return link


def share_link_touch(*, link: ShareLink) -> None:
    ShareLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


# --- PDF jobs ------------------------------------------------------------------------------


def report_job_create(
    *,
    path: Path,
    kind: str = ReportJob.Kind.IMPACT,
    language: str = "fi",
    workshop_day: WorkshopDay | None = None,
    requested_by: User | None = None,
) -> ReportJob:
    """Queue a PDF; the task `reports.tasks.report_job_run` makes it after commit."""
    from polku.reports.tasks import report_job_run

    if language not in ("fi", "sv", "en"):
        raise ValidationError(_("Unknown language."))
    if kind == ReportJob.Kind.SUMMARY and workshop_day is None:
        raise ValidationError(_("A workshop summary needs a workshop day."))
    job = ReportJob.objects.create(
        path=path,
        kind=kind,
        language=language,
        workshop_day=workshop_day,
        requested_by=requested_by,
    )
    # Keep the newest KEEP_JOBS PDFs of each path and kind: they can be made again.
    old_ids = list(
        ReportJob.objects.filter(path=path, kind=kind)
        .order_by("-created_at", "-id")
        .values_list("id", flat=True)[KEEP_JOBS:]
    )
    if old_ids:
        ReportJob.objects.filter(id__in=old_ids).delete()
    transaction.on_commit(lambda: report_job_run.enqueue(job_id=job.pk))
    return job


def report_job_progress(*, job: ReportJob, progress: int, step: str) -> None:
    ReportJob.objects.filter(pk=job.pk).update(
        progress=progress, step=step, status=ReportJob.Status.RUNNING, updated_at=timezone.now()
    )


def report_job_finish(*, job: ReportJob, pdf: bytes, page_count: int) -> None:
    ReportJob.objects.filter(pk=job.pk).update(
        pdf=pdf,
        page_count=page_count,
        progress=100,
        step="done",
        status=ReportJob.Status.DONE,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )


def report_job_fail(*, job: ReportJob, error: str) -> None:
    ReportJob.objects.filter(pk=job.pk).update(
        status=ReportJob.Status.FAILED, error=error[:2000], finished_at=timezone.now()
    )


# --- workshop summaries --------------------------------------------------------------------


def workshop_summary_generate(*, workshop_day: WorkshopDay) -> WorkshopSummary:
    """Make (or refresh) the summary snapshot of a workshop day. Edits are kept on refresh."""
    from polku.reports.summary import summary_data

    data = summary_data(workshop_day=workshop_day)
    summary, created = WorkshopSummary.objects.get_or_create(
        workshop_day=workshop_day, defaults={"data": data}
    )
    if not created:
        summary.data = data
        summary.generated_at = timezone.now()
        summary.save(update_fields=["data", "generated_at", "updated_at"])
    return summary


def workshop_summary_after_day_closed(*, day: WorkshopDay, user: User | None) -> str:
    """``day_closed`` step: the summary is (re)made from what the day saved, for review."""
    workshop_summary_generate(workshop_day=day)
    return _("The workshop summary was made from the day's results. Review it before sharing.")


def workshop_summary_update(
    *, summary: WorkshopSummary, intro: str, next_steps: str, hidden_sections: list[str]
) -> WorkshopSummary:
    from polku.reports.summary import SUMMARY_SECTIONS

    summary.intro = intro.strip()
    summary.next_steps = next_steps.strip()
    summary.hidden_sections = [s for s in SUMMARY_SECTIONS if s in hidden_sections]
    summary.save(update_fields=["intro", "next_steps", "hidden_sections", "updated_at"])
    return summary


def workshop_summary_recipients(*, summary: WorkshopSummary) -> list[str]:
    """Opted-in participants of the day and the contacts of the path's units."""
    day = summary.workshop_day
    return sorted(
        set(opted_in_participant_emails(workshop_day=day)) | set(unit_contact_emails(path=day.path))
    )


def workshop_summary_send(*, summary: WorkshopSummary, language: str = "fi") -> int:
    """Email the summary link to opted-in participants and the units' contacts; returns count.

    The worker makes a new public link when it sends (the previous one stops working) and
    emails it to each recipient separately; the task queue holds only the summary's id."""
    day = summary.workshop_day
    if day.status != WorkshopDay.Status.CLOSED:
        raise ValidationError(_("Only the summary of a closed workshop day can be sent."))
    recipients = workshop_summary_recipients(summary=summary)
    summary.status = WorkshopSummary.Status.SENT
    summary.sent_at = timezone.now()
    summary.sent_to_count = len(recipients)
    summary.save(update_fields=["status", "sent_at", "sent_to_count", "updated_at"])
    email_enqueue_on_commit(kind="reports.summary", summary=summary.pk, language=language)
    return len(recipients)


def workshop_summary_link_mint(
    *, summary: WorkshopSummary, expires_at: dt.datetime | None = None
) -> str:
    """A new public link for the summary (the previous one stops working); returns the token,
    of which only the hash is stored."""
    token = secrets.token_urlsafe(24)
    summary.public_token_hash = WorkshopSummary.hash_token(token)
    summary.public_expires_at = expires_at
    summary.public_revoked_at = None
    summary.save(
        update_fields=["public_token_hash", "public_expires_at", "public_revoked_at", "updated_at"]
    )
    return token


def workshop_summary_link_revoke(*, summary: WorkshopSummary) -> None:
    summary.public_revoked_at = timezone.now()
    summary.save(update_fields=["public_revoked_at", "updated_at"])
