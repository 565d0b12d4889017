"""Writes for workshop days and their agendas."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from polku.accounts.models import User
from polku.core import hooks
from polku.paths.models import Path
from polku.workshops.models import AgendaSlot, WorkshopDay, new_join_code


def _validate_day(starts_at: dt.datetime, ends_at: dt.datetime, mode: str, video_link: str) -> None:
    if ends_at <= starts_at:
        raise ValidationError(_("The workshop day must end after it starts."))
    if ends_at - starts_at > dt.timedelta(days=3):
        raise ValidationError(_("A workshop day can last at most three days."))
    if mode not in WorkshopDay.Mode.values:
        raise ValidationError(_("Unknown mode."))


def workshop_day_create(
    *,
    path: Path,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    mode: str = WorkshopDay.Mode.IN_PERSON,
    place: str = "",
    video_link: str = "",
) -> WorkshopDay:
    _validate_day(starts_at, ends_at, mode, video_link)
    for _attempt in range(10):
        try:
            with transaction.atomic():
                return WorkshopDay.objects.create(
                    path=path,
                    title=title.strip(),
                    starts_at=starts_at,
                    ends_at=ends_at,
                    mode=mode,
                    place=place,
                    video_link=video_link,
                    join_code=new_join_code(),
                )
        except IntegrityError:  # join code collision: draw again
            continue
    raise RuntimeError("could not allocate a join code")


def workshop_day_update(
    *,
    workshop_day: WorkshopDay,
    title: str,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    mode: str,
    place: str,
    video_link: str,
) -> WorkshopDay:
    _validate_day(starts_at, ends_at, mode, video_link)
    workshop_day.title = title.strip()
    workshop_day.starts_at, workshop_day.ends_at = starts_at, ends_at
    workshop_day.mode, workshop_day.place, workshop_day.video_link = mode, place, video_link
    workshop_day.save()
    return workshop_day


def workshop_day_close(*, workshop_day: WorkshopDay, user: User | None) -> list[hooks.Outcome]:
    """End a workshop day: save it as closed, then run the ``day_closed`` steps in order (the
    live room closes what is still open and saves its results, reports make the summary …).
    Ending a closed day again runs the steps again: each of them is safe to repeat."""
    if workshop_day.status != WorkshopDay.Status.CLOSED:
        workshop_day.status = WorkshopDay.Status.CLOSED
        workshop_day.save(update_fields=["status", "updated_at"])
    return hooks.day_closed.run(day=workshop_day, user=user)


def workshop_day_delete(*, workshop_day: WorkshopDay) -> None:
    if workshop_day.status == WorkshopDay.Status.LIVE:
        raise ValidationError(_("A live workshop cannot be deleted. Close it first."))
    workshop_day.delete()


def agenda_slot_add(
    *,
    workshop_day: WorkshopDay,
    title: str,
    activity_type: str = "",
    duration_minutes: int = 30,
    config: dict | None = None,
) -> AgendaSlot:
    if not 1 <= duration_minutes <= 600:
        raise ValidationError(_("The duration must be 1–600 minutes."))
    last = workshop_day.agenda_slots.aggregate(m=Max("position"))["m"]
    return AgendaSlot.objects.create(
        workshop_day=workshop_day,
        position=0 if last is None else last + 1,
        title=title.strip(),
        activity_type=activity_type,
        duration_minutes=duration_minutes,
        config=config or {},
    )


def agenda_slot_update(
    *, slot: AgendaSlot, title: str, activity_type: str, duration_minutes: int
) -> AgendaSlot:
    if not 1 <= duration_minutes <= 600:
        raise ValidationError(_("The duration must be 1–600 minutes."))
    slot.title, slot.activity_type, slot.duration_minutes = (
        title.strip(),
        activity_type,
        duration_minutes,
    )
    slot.save()
    return slot


def agenda_slot_move(*, slot: AgendaSlot, direction: int) -> None:
    """Move a slot one step up (-1) or down (+1), renumbering positions 0..n-1."""
    slots = list(slot.workshop_day.agenda_slots.all())
    index = next(i for i, s in enumerate(slots) if s.pk == slot.pk)
    target = index + direction
    if not 0 <= target < len(slots):
        return
    slots[index], slots[target] = slots[target], slots[index]
    with transaction.atomic():
        for position, item in enumerate(slots):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position", "updated_at"])


def agenda_slot_delete(*, slot: AgendaSlot) -> None:
    slot.delete()
