"""Writes for paths."""

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.deletion import ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.translation import gettext as _

from polku.accounts.models import User
from polku.core.tokens import new_link_id
from polku.organisations.models import Organisation, Unit
from polku.paths.models import Path
from polku.paths.path_templates import TEMPLATES
from polku.workshops.services import agenda_slot_add, workshop_day_create

DEFAULT_START = dt.time(9, 0)
DEFAULT_HOURS = 6


def _check_units(organisation: Organisation, units: Iterable[Unit]) -> list[Unit]:
    units = list(units)
    if any(u.organisation_id != organisation.pk for u in units):
        raise ValidationError(_("A unit belongs to another organisation."))
    return units


def path_create(
    *,
    organisation: Organisation,
    name: str,
    starts_on: dt.date,
    template_key: str = "blank",
    goal: str = "",
    units: Iterable[Unit] = (),
    created_by: User | None = None,
) -> Path:
    """Create a path from a template: its workshop days with default agendas, its span."""
    template = TEMPLATES.get(template_key)
    if template is None:
        raise ValidationError(_("Unknown template."))
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the path a name."))
    unit_list = _check_units(organisation, units)
    with transaction.atomic():
        path = Path.objects.create(
            organisation=organisation,
            name=name,
            goal=goal,
            template=template.key,
            starts_on=starts_on,
            ends_on=starts_on + dt.timedelta(days=template.duration_days),
            followup_until=(
                starts_on + dt.timedelta(days=template.followup_days)
                if template.followup_days
                else None
            ),
            created_by=created_by,
        )
        path.units.set(unit_list)
        tz = timezone.get_current_timezone()
        for plan in template.days:
            day = starts_on + dt.timedelta(days=plan.offset_days)
            starts_at = dt.datetime.combine(day, DEFAULT_START, tzinfo=tz)
            workshop_day = workshop_day_create(
                path=path,
                title=str(plan.title),
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=DEFAULT_HOURS),
            )
            for item in plan.agenda:
                agenda_slot_add(
                    workshop_day=workshop_day,
                    title=str(item.title),
                    activity_type=item.activity_type,
                    duration_minutes=item.minutes,
                )
    return path


def path_update(
    *,
    path: Path,
    name: str,
    goal: str,
    starts_on: dt.date,
    ends_on: dt.date,
    units: Iterable[Unit],
    checkin_interval_days: int,
    followup_until: dt.date | None,
) -> Path:
    if ends_on < starts_on:
        raise ValidationError(_("The path cannot end before it starts."))
    if followup_until is not None and followup_until < starts_on:
        raise ValidationError(_("Follow-up cannot end before the path starts."))
    if not 1 <= checkin_interval_days <= 365:
        raise ValidationError(_("The check-in interval must be 1–365 days."))
    unit_list = _check_units(path.organisation, units)
    path.name, path.goal = name.strip(), goal
    path.starts_on, path.ends_on = starts_on, ends_on
    path.checkin_interval_days, path.followup_until = checkin_interval_days, followup_until
    with transaction.atomic():
        path.save()
        path.units.set(unit_list)
    return path


def path_calendar_token_reset(*, path: Path) -> Path:
    """Revoke the old subscription link by issuing a new one."""
    path.calendar_link_id = new_link_id()
    path.save(update_fields=["calendar_link_id", "updated_at"])
    return path


def path_delete(*, path: Path) -> None:
    """Delete the path and what belongs to it; refused (ValidationError) while something must
    be kept, e.g. a jury whose lottery is committed (its audit trail is protected)."""
    try:
        with transaction.atomic():
            path.delete()
    except (ProtectedError, RestrictedError):
        raise ValidationError(
            _("The path cannot be deleted: it has a jury whose lottery must be kept.")
        ) from None
