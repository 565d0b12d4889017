"""Organisation jury (organisaatioraati): frame, pool, quotas, fair lottery, deliberation,
statement and the commissioner's response.

Personal data is minimised: a pool member's name and email exist only to send the invitation;
the lottery, its published file and the fairness report use the random pseudonym only.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polku.core.models import TimeStampedModel
from polku.core.tokens import hash_token, link_token
from polku.organisations.models import Organisation
from polku.paths.models import Path
from polku.workshops.models import WorkshopDay

STATEMENT_PURPOSE = "juries.statement"
SIGNUP_PURPOSE = "juries.signup"


class Jury(TimeStampedModel):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="juries")
    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="juries")
    question = models.TextField(_("question"))
    commissioner = models.CharField(
        _("commissioner"),
        max_length=200,
        help_text=_("Who owns the question and answers the recommendations (name and role)."),
    )
    steering_group = models.TextField(
        _("steering group"),
        blank=True,
        help_text=_("Members of the steering group that guards impartiality, one per line."),
    )
    commitment = models.TextField(
        _("commissioner's commitment"),
        help_text=_(
            "What the commissioner commits to in advance, e.g. to answer each recommendation in writing within 4 weeks."
        ),
    )
    response_days = models.PositiveSmallIntegerField(
        _("response time (days)"),
        default=28,
        help_text=_(
            "The commissioner's answers are due this many days after the statement is published."
        ),
    )
    panel_size = models.PositiveSmallIntegerField(_("panel size"))
    max_per_team = models.PositiveSmallIntegerField(
        _("at most per team"),
        null=True,
        blank=True,
        help_text=_("At most this many jurors from one team (leave empty for no limit)."),
    )
    sessions = models.ManyToManyField(
        WorkshopDay, blank=True, related_name="juries", verbose_name=_("sessions")
    )
    attribute_values = models.JSONField(
        default=dict,
        blank=True,
        help_text="Allowed values per attribute {attribute: [value, ...]}; empty = any value.",
    )
    value_order = models.JSONField(
        default=list,
        blank=True,
        help_text="Declared order of attributes and values: [{attribute, values}] (from the pool "
        "file's columns and first appearances); a list, because PostgreSQL's jsonb does not keep "
        "the order of object keys.",
    )

    class TallyVisibility(models.TextChoices):
        AFTER_VOTE = "after_vote", _("to each juror after they have voted")
        WHEN_REVEALED = "when_revealed", _("only when the facilitator reveals them")

    tally_visibility = models.CharField(
        _("jurors see the vote tally"),
        max_length=20,
        choices=TallyVisibility.choices,
        default=TallyVisibility.AFTER_VOTE,
    )
    tallies_revealed_at = models.DateTimeField(null=True, blank=True)
    statement_intro = models.TextField(_("statement introduction"), blank=True)
    statement_published_at = models.DateTimeField(null=True, blank=True)
    public_link_id = models.CharField(
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text="Id of the link to the published statement (set when it is published); the "
        "link itself is derived with SECRET_KEY.",
    )
    signup_link_id = models.CharField(
        max_length=16,
        unique=True,
        null=True,
        blank=True,
        help_text="Id of the open volunteer sign-up link (empty = closed); the link itself is "
        "derived with SECRET_KEY.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("organisation jury")
        verbose_name_plural = _("organisation juries")

    def __str__(self) -> str:
        return self.question[:80]

    @property
    def public_token(self) -> str | None:
        if self.public_link_id is None:
            return None
        return link_token(purpose=STATEMENT_PURPOSE, link_id=self.public_link_id)

    @property
    def signup_token(self) -> str | None:
        if self.signup_link_id is None:
            return None
        return link_token(purpose=SIGNUP_PURPOSE, link_id=self.signup_link_id)

    @property
    def response_due_on(self):
        if self.statement_published_at is None:
            return None
        published = timezone.localtime(self.statement_published_at).date()
        return published + dt.timedelta(days=self.response_days)


class PoolMember(TimeStampedModel):
    """A volunteer in the pool. `pseudonym` is what the lottery sees."""

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="pool")
    external_id = models.CharField(_("id"), max_length=80)
    pseudonym = models.CharField(_("pseudonym"), max_length=20)
    name = models.CharField(_("name"), max_length=200, blank=True)
    email = models.EmailField(_("email"), blank=True)
    attributes = models.JSONField(default=dict)
    team = models.CharField(_("team"), max_length=120, blank=True)
    excluded = models.BooleanField(_("excluded"), default=False)
    exclusion_reason = models.CharField(_("reason for exclusion"), max_length=200, blank=True)

    class Meta:
        ordering = ["pseudonym"]
        constraints = [
            models.UniqueConstraint(fields=["jury", "external_id"], name="pool_external_id_unique"),
            models.UniqueConstraint(fields=["jury", "pseudonym"], name="pool_pseudonym_unique"),
        ]
        verbose_name = _("pool member")
        verbose_name_plural = _("pool members")

    def __str__(self) -> str:
        return self.pseudonym


class Quota(TimeStampedModel):
    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="quotas")
    attribute = models.CharField(_("attribute"), max_length=60)
    value = models.CharField(_("value"), max_length=120)
    min_seats = models.PositiveSmallIntegerField(_("at least"), default=0)
    max_seats = models.PositiveSmallIntegerField(_("at most"))
    population_share = models.FloatField(_("share of the whole staff"), null=True, blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Declared order.")

    class Meta:
        ordering = ["position", "attribute", "value"]
        constraints = [
            models.UniqueConstraint(fields=["jury", "attribute", "value"], name="quota_unique"),
        ]
        verbose_name = _("quota")
        verbose_name_plural = _("quotas")

    def __str__(self) -> str:
        return f"{self.attribute}={self.value} [{self.min_seats}, {self.max_seats}]"


class LotteryRun(TimeStampedModel):
    class Method(models.TextChoices):
        MAXIMIN = "maximin", _("MAXIMIN preview")
        LEXIMIN = "leximin", _("LEXIMIN")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="runs")
    method = models.CharField(max_length=20, choices=Method.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    instance_hash = models.CharField(max_length=64)
    instance = models.JSONField(default=dict)
    result = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    progress = models.JSONField(
        default=dict,
        blank=True,
        help_text="While running: {level, fixed, total, estimated_levels} (people settled).",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    @property
    def seconds(self) -> float | None:
        if self.started_at and self.finished_at:
            return (self.finished_at - self.started_at).total_seconds()
        return None

    @property
    def eligible_count(self) -> int:
        """Volunteers in the lottery (the pool without the excluded)."""
        return len(self.instance.get("pool", [])) - len(self.instance.get("excluded", []))

    @property
    def equal_share(self) -> float:
        """k/n: everyone's chance if there were no quotas."""
        n = self.eligible_count
        return self.instance.get("k", 0) / n if n else 0.0


class Draw(TimeStampedModel):
    """A committed uniform lottery over M panels, then the public draw of one of them."""

    class InputKind(models.TextChoices):
        DICE = "dice", _("dice digits (1–6)")
        DECIMAL = "decimal", _("published decimal digits (0–9)")

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="draws")
    run = models.ForeignKey(LotteryRun, on_delete=models.PROTECT, related_name="draws")
    lottery = models.JSONField(help_text="The published lottery file without the draw part.")
    commitment = models.CharField(max_length=64)
    committed_at = models.DateTimeField(default=timezone.now)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    input_kind = models.CharField(max_length=10, choices=InputKind.choices, blank=True)
    draw_input = models.CharField(max_length=200, blank=True)
    panel_index = models.PositiveIntegerField(null=True, blank=True)
    drawn_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]


class JuryMember(TimeStampedModel):
    """A seat on the panel: a drawn pool member (or a replacement) and their invitation."""

    class Status(models.TextChoices):
        SELECTED = "selected", _("drawn, not invited yet")
        INVITED = "invited", _("invited")
        ACCEPTED = "accepted", _("accepted the invitation")
        DECLINED = "declined", _("declined the invitation")
        WITHDRAWN = "withdrawn", _("withdrew from the jury")

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="members")
    draw = models.ForeignKey(Draw, on_delete=models.CASCADE, related_name="members")
    pool_member = models.ForeignKey(PoolMember, on_delete=models.CASCADE, related_name="seats")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SELECTED)
    replaces = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="replaced_by"
    )
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    replacement = models.JSONField(
        default=dict,
        blank=True,
        help_text="For an alternate: how alike the person they replace they are and why "
        "(see lottery.replacement.Replacement).",
    )

    #: Statuses that no longer hold a seat (the seat went to an alternate).
    OUT = ("declined", "withdrawn")

    class Meta:
        ordering = ["pool_member__pseudonym"]

    @property
    def is_out(self) -> bool:
        return self.status in self.OUT

    hash_token = staticmethod(hash_token)


class AuditEntry(models.Model):
    """Append-only, hash-chained log: each entry's hash covers the previous entry's hash."""

    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="audit")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=40)
    actor = models.CharField(max_length=200, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField()
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["seq"]
        constraints = [models.UniqueConstraint(fields=["jury", "seq"], name="audit_seq_unique")]

    def __str__(self) -> str:
        return f"{self.seq} {self.action}"


class Recommendation(TimeStampedModel):
    jury = models.ForeignKey(Jury, on_delete=models.CASCADE, related_name="recommendations")
    position = models.PositiveSmallIntegerField(default=0)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    version = models.PositiveIntegerField(default=1)
    edited_by = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Vote(TimeStampedModel):
    """Gradient of agreement: 5 = full support … 1 = block."""

    class Level(models.IntegerChoices):
        FULL = 5, _("Full support")
        SUPPORT = 4, _("Support with reservations")
        NEUTRAL = 3, _("Can live with it")
        DOUBTS = 2, _("Serious doubts")
        BLOCK = 1, _("Cannot accept")

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="votes"
    )
    member = models.ForeignKey(JuryMember, on_delete=models.CASCADE, related_name="votes")
    level = models.PositiveSmallIntegerField(choices=Level.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["recommendation", "member"], name="one_vote_per_member"
            ),
        ]


class Response(TimeStampedModel):
    class Decision(models.TextChoices):
        ACCEPTED = "accepted", _("accepted")
        PARTLY = "partly", _("partly accepted")
        REJECTED = "rejected", _("not accepted")

    recommendation = models.OneToOneField(
        Recommendation, on_delete=models.CASCADE, related_name="response"
    )
    decision = models.CharField(_("decision"), max_length=20, choices=Decision.choices)
    reasons = models.TextField(_("reasons"))
    responded_by = models.CharField(max_length=200, blank=True)


class FollowUpAction(TimeStampedModel):
    """An accepted recommendation turned into an action on the path, optionally as an
    experiment (polku.experiments) — the link back from the path to the recommendation."""

    recommendation = models.ForeignKey(
        Recommendation, on_delete=models.CASCADE, related_name="actions"
    )
    path = models.ForeignKey(Path, on_delete=models.CASCADE, related_name="jury_actions")
    title = models.CharField(_("action"), max_length=200)
    owner = models.CharField(_("responsible"), max_length=200, blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    experiment = models.ForeignKey(
        "experiments.Experiment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jury_actions",
        verbose_name=_("experiment"),
    )

    class Meta:
        ordering = ["due_on", "id"]
