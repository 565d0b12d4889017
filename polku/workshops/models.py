import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _

from polku.core.models import TimeStampedModel
from polku.paths.models import Path

# No 0/O, 1/I/L: codes are read off a projector and typed on phones.
JOIN_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
JOIN_CODE_LENGTH = 6


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(JOIN_CODE_LENGTH))


class WorkshopDay(TimeStampedModel):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", _("in person")
        REMOTE = "remote", _("remote")
        HYBRID = "hybrid", _("hybrid")

    class Status(models.TextChoices):
        PLANNED = "planned", _("planned")
        LIVE = "live", _("live")
        CLOSED = "closed", _("closed")

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="workshop_days")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    mode = models.CharField(_("mode"), max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    place = models.CharField(_("place"), max_length=300, blank=True)
    video_link = models.URLField(_("video link"), blank=True)
    join_code = models.CharField(_("join code"), max_length=12, unique=True, default=new_join_code)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("workshop day")
        verbose_name_plural = _("workshop days")

    def __str__(self) -> str:
        return self.title


class AgendaSlot(TimeStampedModel):
    """One item of a workshop day's agenda; `activity_type` names a registered activity."""

    workshop_day = models.ForeignKey(
        WorkshopDay, on_delete=models.CASCADE, related_name="agenda_slots"
    )
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    activity_type = models.CharField(_("activity"), max_length=40, blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (min)"), default=30)
    config = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")

    def __str__(self) -> str:
        return self.title
