"""Writes for the live room: participants, the event log, going live."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from polku.live import identity, meeting
from polku.live.models import LiveEvent, MeetingLinkTemplate, Participant
from polku.organisations.models import Organisation
from polku.workshops.models import WorkshopDay


def participant_update(*, participant: Participant, nickname: str, unit_id: int | None) -> None:
    participant.nickname = nickname[:40]
    participant.unit_id = unit_id
    participant.save(update_fields=["nickname", "unit"])


def participant_remember(*, participant: Participant, path_id: int, secret: str) -> None:
    """Opt in to be recognised at later workshop days of the path (email or return code)."""
    secret = secret.strip()
    if not 4 <= len(secret) <= 254:
        raise ValidationError(_("Give an email address or a return code of at least 4 characters."))
    participant.return_key = identity.return_key(path_id=path_id, secret=secret)
    participant.consented_at = timezone.now()
    participant.save(update_fields=["return_key", "consented_at"])


@dataclass(frozen=True)
class Forgotten:
    events: int  # how many inputs were deleted
    slot_ids: list[int]  # the agenda items they were in


def participant_forget(*, participant: Participant, anon_actors: list[str]) -> Forgotten:
    """Delete the participant and every input linked to them (anonymous ones by their
    pseudonyms, named ones by the link). The live room drops them from its state by
    ``engine.room_forget``, which calls this."""
    with transaction.atomic():
        theirs = LiveEvent.objects.filter(
            Q(workshop_day_id=participant.workshop_day_id, actor__in=anon_actors)
            | Q(participant=participant)
        )
        slot_ids = sorted(set(theirs.values_list("slot_id", flat=True)) - {None})
        count = theirs.delete()[0]
        participant.delete()
    return Forgotten(events=count, slot_ids=slot_ids)


def events_store(
    *,
    day_id: int,
    rows: list[dict[str, Any]],
    new_participants: list[dict[str, Any]] | None = None,
    profiles: list[dict[str, Any]] | None = None,
) -> dict[str, int]:
    """Store one batch of a room in one transaction: new participants, nickname/unit changes
    and events. Resends (same actor + client id) are no-ops. Returns token hash → participant
    id for the participants the batch created or refers to."""
    now = timezone.now()
    new_participants = new_participants or []
    needed = {p["token_hash"] for p in new_participants} | {
        row["participant"] for row in rows if row.get("participant")
    }
    with transaction.atomic():
        if new_participants:
            Participant.objects.bulk_create(
                [
                    Participant(
                        workshop_day_id=day_id,
                        token_hash=p["token_hash"],
                        nickname=p["name"][:40],
                        unit_id=p["unit"],
                        attendance=p.get("attendance") or "",
                        created_at=now,
                    )
                    for p in new_participants
                ],
                ignore_conflicts=True,
                batch_size=500,
            )
        for p in profiles or []:
            Participant.objects.filter(workshop_day_id=day_id, token_hash=p["token_hash"]).update(
                nickname=p["name"][:40], unit_id=p["unit"], attendance=p.get("attendance") or ""
            )
        ids = dict(
            Participant.objects.filter(workshop_day_id=day_id, token_hash__in=needed).values_list(
                "token_hash", "pk"
            )
        ) if needed else {}  # fmt: skip
        _events_insert(rows=rows, participant_ids=ids, now=now)
    return ids


def _events_insert(
    *, rows: list[dict[str, Any]], participant_ids: dict[str, int], now: Any
) -> None:
    """INSERT … ON CONFLICT DO NOTHING with executemany: the hot path of a big room, so the
    ORM's per-object compilation is skipped. The unique constraint makes resends no-ops."""
    if not rows:
        return
    table = connection.ops.quote_name(LiveEvent._meta.db_table)
    json_param = "%s::jsonb" if connection.vendor == "postgresql" else "%s"
    columns = (
        "workshop_day_id, slot_id, actor, participant_id, client_id, kind, data, name, "
        "unit_id_tag, created_at, " + connection.ops.quote_name("group")  # a reserved word in SQL
    )
    values = f"%s, %s, %s, %s, %s, %s, {json_param}, %s, %s, %s, %s"
    # the table name comes from the model; every value is a bound parameter
    sql = f"INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT DO NOTHING"  # noqa: S608
    created = connection.ops.adapt_datetimefield_value(now)
    params = [
        (
            row["day_id"],
            row["slot_id"],
            row["actor"],
            participant_ids.get(row.get("participant") or ""),
            row["client_id"],
            row["kind"],
            orjson.dumps(row["data"]).decode(),
            row.get("name", ""),
            row.get("unit_id_tag"),
            created,
            row.get("group") or "",
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def workshop_day_set_status(*, day: WorkshopDay, status: str) -> WorkshopDay:
    """Open a day for participants (``live``) or take it back to ``planned``. Ending a day is
    ``polku.workshops.services.workshop_day_close`` (it saves what is open, makes the summary)."""
    if status not in (WorkshopDay.Status.LIVE, WorkshopDay.Status.PLANNED):
        raise ValidationError(_("Unknown status."))
    day.status = status
    day.save(update_fields=["status", "updated_at"])
    return day


def slot_config_update(*, slot, activity, values: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Save an agenda slot's activity settings (only keys the activity knows)."""
    known = activity.get_config({})
    slot.config = {
        **(slot.config or {}),
        **{k: v for k, v in values.items() if k in known},
    }
    slot.save(update_fields=["config", "updated_at"])
    return slot


def participants_purge_for_path(*, path: Any) -> int:
    """Data retention (the ``path_retention`` hook): delete the participants of the path's
    workshop days — their token hashes, nicknames and opted-in return codes. Their named
    inputs stay in the results without the link to a participant."""
    participants = Participant.objects.filter(workshop_day__path=path)
    LiveEvent.objects.filter(participant__in=participants).update(participant=None)
    deleted, _by_model = participants.delete()
    return deleted


def meeting_link_template_set(*, organisation: Organisation, template: str) -> MeetingLinkTemplate:
    """Set (or clear, with "") the organisation's video-room address for group rooms."""
    clean = meeting.template_clean(template)
    row, _created = MeetingLinkTemplate.objects.update_or_create(
        organisation=organisation, defaults={"template": clean, "updated_at": timezone.now()}
    )
    return row
