import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polku.core.models import TimeStampedModel
from polku.core.tokens import hash_token
from polku.paths.models import Path
from polku.workshops.models import WorkshopDay


def new_public_token() -> str:
    return secrets.token_urlsafe(24)


class ShareLink(TimeStampedModel):
    """A read-only, revocable, optionally expiring link to a path's public report page.

    Only a hash of the token is stored: the link is shown once, when it is made.
    `sections` lists what the coordinator chose to share (keys of `Section`).
    """

    class Section(models.TextChoices):
        GOAL = "goal", _("Goal and timeline")
        PARTICIPATION = "participation", _("Participation (counts)")
        RESULTS = "results", _("Results of the measures")
        EXPERIMENTS = "experiments", _("Experiments and their status")
        STORIES = "stories", _("Stories marked shareable")
        LIBRARY = "library", _("Practice library highlights")

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="share_links")
    label = models.CharField(_("label"), max_length=120, help_text=_("For whom, e.g. “Board”."))
    token_hash = models.CharField(max_length=64, unique=True)
    sections = models.JSONField(default=list)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("share link")
        verbose_name_plural = _("share links")

    def __str__(self) -> str:
        return self.label

    hash_token = staticmethod(hash_token)

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and (
            self.expires_at is None or self.expires_at > timezone.now()
        )


class ReportJob(TimeStampedModel):
    """A PDF being made in the background (impact report or workshop summary)."""

    class Kind(models.TextChoices):
        IMPACT = "impact", _("impact report")
        SUMMARY = "summary", _("workshop summary")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("being made")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="report_jobs")
    workshop_day = models.ForeignKey(
        WorkshopDay, on_delete=models.CASCADE, null=True, blank=True, related_name="report_jobs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.IMPACT)
    language = models.CharField(_("language"), max_length=8, default="fi")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=40, blank=True)
    error = models.TextField(blank=True)
    pdf = models.BinaryField(null=True, blank=True, editable=False)
    page_count = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class WorkshopSummary(TimeStampedModel):
    """The summary of a closed workshop day: a generated snapshot the facilitator edits and sends.

    `data` is the snapshot (JSON, counts only: never participants' identities);
    `intro`, `next_steps` and `hidden_sections` are the facilitator's edits.
    Participants without an account read it through a public link (emailed when it is sent):
    only the hash of its token is stored; it can be replaced, revoked and may expire.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SENT = "sent", _("sent")

    workshop_day = models.OneToOneField(
        WorkshopDay, on_delete=models.CASCADE, related_name="summary"
    )
    data = models.JSONField(default=dict)
    intro = models.TextField(_("introduction"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    hidden_sections = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    public_token_hash = models.CharField(max_length=64, unique=True, null=True, blank=True)
    public_expires_at = models.DateTimeField(_("link expires"), null=True, blank=True)
    public_revoked_at = models.DateTimeField(null=True, blank=True)
    generated_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_to_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("workshop summary")
        verbose_name_plural = _("workshop summaries")

    def __str__(self) -> str:
        return str(self.workshop_day)

    hash_token = staticmethod(hash_token)

    @property
    def public_link_open(self) -> bool:
        return (
            self.public_token_hash is not None
            and self.public_revoked_at is None
            and (self.public_expires_at is None or self.public_expires_at > timezone.now())
        )
