"""Reads for the live room."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.db.models import Count, Max

from polku.activities.registry import ActivityType
from polku.live.models import LiveEvent, MeetingLinkTemplate, Participant
from polku.organisations.models import Membership
from polku.organisations.rules import roles_with
from polku.workshops.models import AgendaSlot, WorkshopDay


@dataclass
class SlotData:
    id: int
    position: int
    title: str
    activity_type: str
    config: dict[str, Any]


@dataclass
class RoomData:
    day_id: int
    code: str
    title: str
    status: str
    path_id: int
    organisation_slug: str
    organisation_id: int
    slots: list[SlotData]
    units: list[dict[str, Any]]
    mode: str = "in_person"
    meeting_template: str = ""
    events: list[dict[str, Any]] = field(default_factory=list)
    participants: list[dict[str, Any]] = field(default_factory=list)
    last_event_id: int = 0
    stamp: tuple = ()


def workshop_day_by_code(*, code: str) -> WorkshopDay | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 12 or not code.isalnum():
        return None
    return WorkshopDay.objects.select_related("path__organisation").filter(join_code=code).first()


def room_data(*, code: str) -> RoomData | None:
    """Everything a room needs to rebuild its state: the day, its agenda and its event log."""
    day = workshop_day_by_code(code=code)
    if day is None:
        return None
    slots = [
        SlotData(s.pk, s.position, s.title, s.activity_type, s.config or {})
        for s in day.agenda_slots.all()
    ]
    units = [{"id": u.pk, "name": u.name} for u in day.path.units.order_by("name")]
    stamp = room_stamp(day_id=day.pk)
    events: list[dict[str, Any]] = [
        dict(row)
        for row in LiveEvent.objects.filter(workshop_day=day)
        .order_by("id")
        .values(*EVENT_FIELDS)
        .iterator(chunk_size=5000)
    ]
    return RoomData(
        day_id=day.pk,
        code=day.join_code,
        title=day.title,
        status=day.status,
        path_id=day.path_id,
        organisation_slug=day.path.organisation.slug,
        organisation_id=day.path.organisation_id,
        slots=slots,
        units=units,
        mode=day.mode,
        meeting_template=meeting_link_template(organisation_id=day.path.organisation_id),
        events=events,
        participants=[
            dict(row)
            for row in Participant.objects.filter(workshop_day=day).values(
                "id", "token_hash", "nickname", "unit_id", "attendance"
            )
        ],
        last_event_id=events[-1]["id"] if events else 0,
        stamp=stamp,
    )


def staff_allowed(*, day_id: int, user_ids: Iterable[int]) -> set[int]:
    """Of these users, those who may run this workshop day now: active accounts whose
    membership in the day's organisation has the ``workshop.run`` permission."""
    organisation_id = (
        WorkshopDay.objects.filter(pk=day_id)
        .values_list("path__organisation_id", flat=True)
        .first()
    )
    if organisation_id is None:
        return set()
    return set(
        Membership.objects.filter(
            organisation_id=organisation_id,
            user_id__in=list(user_ids),
            user__is_active=True,
            role__in=roles_with("workshop.run"),
        ).values_list("user_id", flat=True)
    )


def activity_open_data(*, slot_id: int, activity: ActivityType) -> dict[str, Any]:
    """What an activity reads from its path when it opens (``ActivityType.open_data``)."""
    slot = AgendaSlot.objects.select_related("workshop_day__path").get(pk=slot_id)
    return activity.open_data(slot=slot)


EVENT_FIELDS = (
    "id", "slot_id", "actor", "client_id", "kind", "data", "name", "unit_id_tag", "group"
)  # fmt: skip


def events_after(*, day_id: int, after: int) -> list[dict[str, Any]]:
    """The day's events stored after event ``after`` (other processes' inputs), oldest first.

    Polled many times a second by every process (``DatabaseBridge``), mostly finding nothing:
    one prepared statement, no ORM query building."""
    from django.db import connection

    table = connection.ops.quote_name(LiveEvent._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in EVENT_FIELDS)
    data = EVENT_FIELDS.index("data")
    sql = (
        f"SELECT {columns} FROM {table} WHERE workshop_day_id = %s AND id > %s "  # noqa: S608
        "ORDER BY id LIMIT 5000"
    )  # table and column names from the model; values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [day_id, after])
        rows = cursor.fetchall()
    return [
        {**dict(zip(EVENT_FIELDS, row, strict=True)),
         "data": orjson.loads(row[data]) if isinstance(row[data], str | bytes) else row[data]}
        for row in rows
    ]  # fmt: skip


def slot_events(*, day_id: int, slot_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The stored events of some agenda items of the day, oldest first, by item."""
    out: dict[int, list[dict[str, Any]]] = {pk: [] for pk in slot_ids}
    rows = (
        LiveEvent.objects.filter(workshop_day_id=day_id, slot_id__in=slot_ids)
        .order_by("id")
        .values(*EVENT_FIELDS)
        .iterator(chunk_size=5000)
    )
    for row in rows:
        out[row["slot_id"]].append(dict(row))
    return out


def room_stamp(*, day_id: int) -> tuple:
    """Changes when the day or its agenda changes (status, title, activity settings)."""
    day = WorkshopDay.objects.filter(pk=day_id).values_list("updated_at", "status").first()
    slots = AgendaSlot.objects.filter(workshop_day_id=day_id).aggregate(
        n=Count("id"), changed=Max("updated_at")
    )
    return (day, slots["n"], slots["changed"])


def participant_by_token_hash(*, day_id: int, token_hash: str) -> Participant | None:
    return Participant.objects.filter(workshop_day_id=day_id, token_hash=token_hash).first()


def participant_stored_data(*, participant: Participant, anon_actors: list[str]) -> dict[str, Any]:
    """Everything stored about one participant (for the "what is stored about me" page)."""
    named = list(participant.events.values("kind", "data", "created_at"))
    anonymous = list(
        LiveEvent.objects.filter(
            workshop_day_id=participant.workshop_day_id, actor__in=anon_actors
        ).values("kind", "data", "created_at")
    )
    return {
        "participant": participant,
        "named_events": named,
        "anonymous_events": anonymous,
    }


def return_stats(*, path_id: int) -> dict[int, int]:
    """Recognised participants per workshop day of a path (opted-in return keys)."""
    rows = (
        Participant.objects.filter(workshop_day__path_id=path_id)
        .exclude(return_key="")
        .values_list("workshop_day_id", "return_key")
    )
    seen: dict[int, set[str]] = {}
    for day_id, key in rows:
        seen.setdefault(day_id, set()).add(key)
    return {day_id: len(keys) for day_id, keys in seen.items()}


def meeting_link_template(*, organisation_id: int) -> str:
    """The organisation's video-room address with ``{room}``, or "" when it has none."""
    return (
        MeetingLinkTemplate.objects.filter(organisation_id=organisation_id)
        .values_list("template", flat=True)
        .first()
        or ""
    )


def return_keys(*, day_id: int) -> dict[str, str]:
    """Token hash → opted-in identity key of this day's participants who gave one."""
    return dict(
        Participant.objects.filter(workshop_day_id=day_id)
        .exclude(return_key="")
        .values_list("token_hash", "return_key")
    )
