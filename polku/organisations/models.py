from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polku.core.models import TimeStampedModel
from polku.core.tokens import hash_token


class Organisation(TimeStampedModel):
    """A tenant: a work community, a volunteer organisation or a network."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    description = models.TextField(_("description"), blank=True)
    retention_days = models.PositiveSmallIntegerField(
        _("keep participant data for (days after a path ends)"),
        default=365,
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
        help_text=_(
            "Participant tokens, opted-in return codes and check-in links of a path are "
            "deleted this many days after the path (and its follow-up) ends."
        ),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Unit(TimeStampedModel):
    """A node in the organisation's tree: national → region → local branch/unit."""

    class Kind(models.TextChoices):
        NATIONAL = "national", _("national")
        REGION = "region", _("region")
        LOCAL = "local", _("local branch / unit")
        OTHER = "other", _("other")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="units")
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent unit"),
    )
    code = models.CharField(
        _("code"),
        max_length=40,
        help_text=_("A short identifier, unique within the organisation (used in CSV import)."),
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("level"), max_length=20, choices=Kind.choices, default=Kind.LOCAL)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "code"], name="unit_code_unique_per_org"
            ),
        ]
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    class Role(models.TextChoices):
        FACILITATOR = "facilitator", _("facilitator")
        COORDINATOR = "coordinator", _("coordinator")
        UNIT_CONTACT = "unit_contact", _("unit contact")
        VIEWER = "viewer", _("viewer")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("unit"),
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="one_membership_per_org"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.organisation} ({self.role})"


class Invitation(TimeStampedModel):
    """An emailed invitation link. Only a hash of the token is stored."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    unit = models.ForeignKey(
        Unit, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("unit")
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.email

    hash_token = staticmethod(hash_token)

    @property
    def is_open(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


class LogEntry(models.Model):
    """The organisation's log: what the system did to its data (e.g. data retention)."""

    class Kind(models.TextChoices):
        RETENTION = "retention", _("participant data deleted")

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="log")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    path = models.ForeignKey(
        "paths.Path", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("log entry")
        verbose_name_plural = _("log entries")

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.kind} {self.created_at:%Y-%m-%d}"
