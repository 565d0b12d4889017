"""Live-room storage: pseudonymous participants and the room's append-only event log.

The room state in memory is a fold of ``LiveEvent`` rows (ordered by id) through the activity
types' reducers, so a restart rebuilds exactly what was acknowledged.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polku.organisations.models import Organisation, Unit
from polku.workshops.models import AgendaSlot, WorkshopDay


class Attendance(models.TextChoices):
    IN_ROOM = "room", _("in the room")
    REMOTE = "remote", _("remotely")


class Participant(models.Model):
    """A phone in a workshop day. Only a hash of the cookie token is stored."""

    workshop_day = models.ForeignKey(
        WorkshopDay, on_delete=models.CASCADE, related_name="participants"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    nickname = models.CharField(_("nickname"), max_length=40, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True)
    # Keyed hash of an opted-in email address or personal return code (scoped to the path):
    # the same person at a later workshop day of the same path has the same key.
    return_key = models.CharField(max_length=64, blank=True, db_index=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    # Said by the participant when joining a hybrid or remote day (optional).
    attendance = models.CharField(
        _("taking part"), max_length=10, choices=Attendance.choices, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")

    def __str__(self) -> str:
        return self.nickname or f"#{self.pk}"


class LiveEvent(models.Model):
    """One acknowledged input, facilitator action or control change of a live room.

    ``actor`` is ``p<participant id>`` for named activities, a keyed per-activity pseudonym
    ``a<hmac>`` for anonymous ones (``participant`` is then NULL), ``f<user id>`` for
    facilitators. ``(workshop_day, actor, client_id)`` is unique: resends are idempotent.
    """

    workshop_day = models.ForeignKey(
        WorkshopDay, on_delete=models.CASCADE, related_name="live_events"
    )
    slot = models.ForeignKey(
        AgendaSlot, on_delete=models.CASCADE, null=True, blank=True, related_name="live_events"
    )
    actor = models.CharField(max_length=40)
    participant = models.ForeignKey(
        Participant, on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    client_id = models.CharField(max_length=40)
    kind = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    name = models.CharField(max_length=40, blank=True)
    unit_id_tag = models.IntegerField(null=True, blank=True)
    # The group (of a group phase) whose copy of the activity this event belongs to; "" is
    # the plenary.
    group = models.CharField(max_length=8, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workshop_day", "actor", "client_id"], name="live_event_idempotent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.actor}"


class MeetingLinkTemplate(models.Model):
    """An organisation's video-service address for group rooms (``polku.live.meeting``)."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="meeting_link_template"
    )
    template = models.CharField(_("video-room address"), max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("meeting-link template")
        verbose_name_plural = _("meeting-link templates")

    def __str__(self) -> str:
        return self.template
