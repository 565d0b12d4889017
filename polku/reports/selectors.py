"""Reads for reports. Other apps' data is read here, read-only, through their models.

Each source returns `None` when the app that owns it has no models yet: the page then shows an
honest "not available yet" instead of a zero that would look like a result.
"""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Count, Max, QuerySet
from django.http import Http404
from django.utils import timezone

from polku.organisations.models import Membership, Unit
from polku.paths.models import Path
from polku.reports import metrics
from polku.reports.models import ReportJob, ShareLink, WorkshopSummary
from polku.workshops.models import WorkshopDay


def source_ready(app_label: str, model_name: str) -> bool:
    try:
        apps.get_model(app_label, model_name)
    except LookupError:
        return False
    return True


# --- experiments ---------------------------------------------------------------------------


@dataclass
class ExperimentData:
    measure_types: list[metrics.MeasureTypeRow]
    experiments: list[metrics.ExperimentRow]
    measures: list[metrics.MeasureRow]
    values: list[metrics.ValueRow]
    last_checkins: dict[int, dt.date]
    checkin_count: int
    stories: list[dict] = field(default_factory=list)


def experiment_data(*, path: Path, with_stories: bool = False) -> ExperimentData | None:
    """Everything the dashboard and the impact report need from experiments: 5 queries (6 with
    stories), whatever the number of experiments and check-ins."""
    if not source_ready("experiments", "Experiment"):
        return None
    from polku.experiments.models import CheckIn, CheckInValue, Experiment, Measure, MeasureType

    measure_types = [
        metrics.MeasureTypeRow(id=mt.pk, name=mt.name, kind=mt.kind, unit_label=mt.unit_label)
        for mt in MeasureType.objects.filter(path=path).order_by("position", "id")
    ]
    experiments = [
        metrics.ExperimentRow(
            id=e["id"],
            title=e["title"],
            status=e["status"],
            unit_id=e["unit_id"],
            unit_name=e["unit__name"] or "",
            adopted_from_id=e["adopted_from_id"],
            previous_round_id=e["previous_round_id"],
            round_number=e["round_number"],
            started_on=e["started_on"],
            first_step_on=e["first_step_on"],
            created_on=timezone.localtime(e["created_at"]).date(),
            reported=e["reported_at"] is not None
            or e["status"] in (Experiment.Status.REPORTED, Experiment.Status.DECIDED),
        )
        for e in Experiment.objects.filter(path=path)
        .order_by("unit__name", "title", "round_number", "id")
        .values(
            "id",
            "title",
            "status",
            "unit_id",
            "unit__name",
            "adopted_from_id",
            "previous_round_id",
            "round_number",
            "started_on",
            "first_step_on",
            "created_at",
            "reported_at",
        )
    ]
    measures = [
        metrics.MeasureRow(
            id=m["id"],
            experiment_id=m["experiment_id"],
            measure_type_id=m["measure_type_id"],
            target=m["target"],
        )
        for m in Measure.objects.filter(experiment__path=path).values(
            "id", "experiment_id", "measure_type_id", "target"
        )
    ]
    values = [
        metrics.ValueRow(
            experiment_id=v["checkin__experiment_id"],
            measure_id=v["measure_id"],
            slot=v["checkin__slot"],
            value=v["value"],
        )
        for v in CheckInValue.objects.filter(checkin__experiment__path=path).values(
            "checkin__experiment_id", "measure_id", "checkin__slot", "value"
        )
    ]
    per_experiment = list(
        CheckIn.objects.filter(experiment__path=path)
        .order_by()
        .values("experiment_id")
        .annotate(last=Max("slot"), n=Count("id"))
    )
    last_checkins = {row["experiment_id"]: row["last"] for row in per_experiment}
    data = ExperimentData(
        measure_types=measure_types,
        experiments=experiments,
        measures=measures,
        values=values,
        last_checkins=last_checkins,
        checkin_count=sum(row["n"] for row in per_experiment),
    )
    if with_stories:
        data.stories = shareable_stories(path=path)
    return data


def shareable_stories(*, path: Path, limit: int = 12) -> list[dict]:
    """Learnings the teams marked shareable: what helped, what we did (newest first)."""
    if not source_ready("experiments", "CheckIn"):
        return []
    from polku.experiments.models import CheckIn

    rows = (
        CheckIn.objects.filter(experiment__path=path, shareable=True)
        .exclude(what_helped="", what_we_did="")
        .order_by("-slot", "-id")
        .values(
            "experiment__title", "experiment__unit__name", "slot", "what_helped", "what_we_did"
        )[:limit]
    )
    return [
        {
            "experiment": r["experiment__title"],
            "unit": r["experiment__unit__name"] or "",
            "slot": r["slot"],
            "text": r["what_helped"] or r["what_we_did"],
        }
        for r in rows
    ]


def experiment_status_choices() -> list[tuple[str, Any]]:
    if not source_ready("experiments", "Experiment"):
        return []
    from polku.experiments.models import Experiment

    return list(Experiment.Status.choices)


# --- share links, jobs, summaries ----------------------------------------------------------


def share_link_list(*, path: Path) -> QuerySet[ShareLink]:
    return ShareLink.objects.filter(path=path).select_related("created_by").order_by("-created_at")


def share_link_by_token(*, token: str) -> ShareLink | None:
    """An active share link for `token` or None (unknown, revoked and expired look the same)."""
    link = (
        ShareLink.objects.select_related("path", "path__organisation")
        .filter(token_hash=ShareLink.hash_token(token))
        .first()
    )
    if link is None or not link.is_active:
        return None
    return link


def report_job_get(*, path: Path, pk: int) -> ReportJob:
    job = ReportJob.objects.filter(path=path, pk=pk).defer("pdf").first()
    if job is None:
        raise Http404
    return job


def report_job_pdf(*, path: Path, pk: int) -> ReportJob:
    job = ReportJob.objects.filter(path=path, pk=pk, status=ReportJob.Status.DONE).first()
    if job is None:
        raise Http404
    return job


def report_job_recent(*, path: Path, kind: str = ReportJob.Kind.IMPACT) -> list[ReportJob]:
    return list(
        ReportJob.objects.filter(path=path, kind=kind).defer("pdf").order_by("-created_at")[:5]
    )


def workshop_summary_by_token(*, token: str) -> WorkshopSummary | None:
    """The sent summary whose public link this is, unless revoked or expired."""
    if not token or len(token) > 100:
        return None
    summary = (
        WorkshopSummary.objects.select_related("workshop_day__path__organisation")
        .filter(
            public_token_hash=WorkshopSummary.hash_token(token),
            status=WorkshopSummary.Status.SENT,
        )
        .first()
    )
    return summary if summary is not None and summary.public_link_open else None


def unit_contact_emails(*, path: Path) -> list[str]:
    """Emails of the unit contacts of the path's units (sent the workshop summary)."""
    return sorted(
        set(
            Membership.objects.filter(
                organisation_id=path.organisation_id,
                role=Membership.Role.UNIT_CONTACT,
                unit__in=path.units.all(),
                user__is_active=True,
            ).values_list("user__email", flat=True)
        )
    )


def path_units(*, path: Path) -> list[Unit]:
    return list(path.units.order_by("name"))


def workshop_days(*, path: Path) -> list[WorkshopDay]:
    return list(path.workshop_days.order_by("starts_at"))
