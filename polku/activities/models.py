"""Results that live activities carry forward to their path."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polku.organisations.models import Unit
from polku.paths.models import Path
from polku.workshops.models import AgendaSlot


class ActivityResult(models.Model):
    """One carried-forward item: a prioritised topic, a theme, a practice that works …"""

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="activity_results")
    slot = models.ForeignKey(AgendaSlot, on_delete=models.CASCADE, related_name="results")
    activity_type = models.CharField(max_length=40)
    kind = models.CharField(max_length=20)
    text = models.CharField(max_length=300)
    score = models.FloatField(null=True, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["slot_id", "position"]
        verbose_name = _("activity result")
        verbose_name_plural = _("activity results")

    def __str__(self) -> str:
        return self.text
