"""Reads for paths. Every query starts from the request's membership (tenant + unit scope)."""

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from polku.core.tokens import link_id_of
from polku.organisations.models import Membership
from polku.organisations.rules import sees_whole_organisation
from polku.paths.models import CALENDAR_PURPOSE, Path
from polku.workshops.models import AgendaSlot, WorkshopDay


def path_queryset(*, membership: Membership) -> QuerySet[Path]:
    qs = Path.objects.filter(organisation_id=membership.organisation_id)
    if not sees_whole_organisation(membership):
        qs = qs.filter(units=membership.unit_id) if membership.unit_id else qs.none()
    return qs


def path_list(*, membership: Membership) -> QuerySet[Path]:
    return path_queryset(membership=membership).annotate(
        day_count=Count("workshop_days", distinct=True),
        unit_count=Count("units", distinct=True),
    )


def path_get(*, membership: Membership, pk: int) -> Path:
    path = path_queryset(membership=membership).filter(pk=pk).first()
    if path is None:
        raise Http404
    return path


def path_detail(*, membership: Membership, pk: int) -> Path:
    qs = path_queryset(membership=membership).prefetch_related(
        Prefetch(
            "workshop_days",
            queryset=WorkshopDay.objects.prefetch_related(
                Prefetch("agenda_slots", queryset=AgendaSlot.objects.order_by("position", "id"))
            ),
        ),
        "units",
    )
    path = qs.filter(pk=pk).first()
    if path is None:
        raise Http404
    return path


def workshop_day_get(*, membership: Membership, path: Path, pk: int) -> WorkshopDay:
    day = path.workshop_days.filter(pk=pk).first()
    if day is None:
        raise Http404
    return day


def agenda_slot_get(*, workshop_day: WorkshopDay, pk: int) -> AgendaSlot:
    slot = workshop_day.agenda_slots.filter(pk=pk).first()
    if slot is None:
        raise Http404
    return slot


def path_by_calendar_token(*, token: str) -> Path | None:
    link_id = link_id_of(purpose=CALENDAR_PURPOSE, token=token)
    if link_id is None:
        return None
    return Path.objects.filter(calendar_link_id=link_id).select_related("organisation").first()
