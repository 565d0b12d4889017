from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from polku.core.models import TimeStampedModel
from polku.core.tokens import link_token, new_link_id
from polku.organisations.models import Organisation, Unit

CALENDAR_PURPOSE = "paths.calendar"
new_calendar_token = new_link_id  # the default of a field of migration 0001


class Path(TimeStampedModel):
    """A co-development path (polku): workshop days and the work between them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="paths")
    name = models.CharField(_("name"), max_length=200)
    goal = models.TextField(_("goal"), blank=True)
    template = models.CharField(_("template"), max_length=30, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    units = models.ManyToManyField(
        Unit, blank=True, related_name="paths", verbose_name=_("participating units")
    )
    checkin_interval_days = models.PositiveSmallIntegerField(
        _("check-in interval (days)"),
        default=21,
        help_text=_("How often experiment teams are reminded to check in."),
    )
    followup_until = models.DateField(
        _("follow-up until"),
        null=True,
        blank=True,
        help_text=_("Check-ins continue until this date."),
    )
    calendar_link_id = models.CharField(
        max_length=16,
        unique=True,
        default=new_link_id,
        help_text="Id of the calendar feed link; the link itself is derived with SECRET_KEY.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-starts_on", "name"]
        verbose_name = _("path")
        verbose_name_plural = _("paths")

    def __str__(self) -> str:
        return self.name

    @property
    def calendar_token(self) -> str:
        return link_token(purpose=CALENDAR_PURPOSE, link_id=self.calendar_link_id)
