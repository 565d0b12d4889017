"""Reads for juries. Every query starts from the request's membership (tenant + unit scope)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from polku.core.tokens import link_id_of
from polku.experiments.models import Experiment
from polku.experiments.origins import Origin
from polku.juries import lottery_adapter as lottery
from polku.juries.models import (
    SIGNUP_PURPOSE,
    STATEMENT_PURPOSE,
    AuditEntry,
    Draw,
    FollowUpAction,
    Jury,
    JuryMember,
    LotteryRun,
    Recommendation,
    Vote,
)
from polku.organisations.models import Membership
from polku.paths.selectors import path_queryset


def jury_queryset(*, membership: Membership) -> QuerySet[Jury]:
    return Jury.objects.filter(
        organisation_id=membership.organisation_id,
        path__in=path_queryset(membership=membership),
    )


def jury_list(*, membership: Membership) -> QuerySet[Jury]:
    return (
        jury_queryset(membership=membership)
        .select_related("path")
        .annotate(pool_count=Count("pool", distinct=True))
        .order_by("-created_at")
    )


def jury_get(*, membership: Membership, pk: int) -> Jury:
    jury = (
        jury_queryset(membership=membership)
        .select_related("path", "organisation")
        .filter(pk=pk)
        .first()
    )
    if jury is None:
        raise Http404
    return jury


def draw_current(*, jury: Jury) -> Draw | None:
    return jury.draws.filter(voided_at__isnull=True).select_related("run").first()


def run_latest(*, jury: Jury, method: str) -> LotteryRun | None:
    return jury.runs.filter(method=method).order_by("-created_at").first()


def panel_members(*, jury: Jury, draw: Draw | None) -> list[JuryMember]:
    if draw is None:
        return []
    return list(
        jury.members.filter(draw=draw)
        .select_related("pool_member", "replaces__pool_member")
        .order_by("created_at", "pool_member__pseudonym")
    )


def attribute_order(*, jury: Jury) -> list[tuple[str, list[str]]]:
    """Attributes and their values in the declared order: the allowed values as written on the
    pool page, else the pool file's columns and the order values first appear in it (or the
    sign-up form's order)."""
    declared = {a: list(v) for a, v in (jury.attribute_values or {}).items()}
    order: list[tuple[str, list[str]]] = []
    for item in jury.value_order or []:
        attribute = item.get("attribute") if isinstance(item, dict) else None
        if isinstance(attribute, str):
            order.append((attribute, declared.get(attribute) or list(item.get("values", []))))
    known = {a for a, _values in order}
    order += [(a, v) for a, v in declared.items() if a not in known]
    return order


def pool_summary(*, jury: Jury) -> dict[str, dict[str, int]]:
    """{attribute: {value: count}} over the eligible pool, in the declared order (values nobody
    declared come last, alphabetically)."""
    out: dict[str, Counter[str]] = {}
    for attributes in jury.pool.filter(excluded=False).values_list("attributes", flat=True):
        for key, value in attributes.items():
            out.setdefault(key, Counter())[value] += 1
    order = attribute_order(jury=jury)
    rank = {a: i for i, (a, _v) in enumerate(order)}
    values_rank = {a: {v: i for i, v in enumerate(vals)} for a, vals in order}
    summary = {}
    for attribute in sorted(out, key=lambda a: (rank.get(a, len(rank)), a)):
        vr = values_rank.get(attribute, {})
        summary[attribute] = {
            v: out[attribute][v]
            for v in sorted(out[attribute], key=lambda v: (vr.get(v, len(vr)), v))
        }
    return summary


def fairness_report(
    *, jury: Jury, draw: Draw | None, run: LotteryRun | None
) -> dict[str, Any] | None:
    """Fairness figures (the core's report): of the committed lottery (probabilities after
    rounding to equally likely slots) if there is one, else of the latest run."""
    if draw is not None:
        run = draw.run
        probabilities = lottery.slot_marginals(draw.lottery)
        seated = [
            m.pool_member.pseudonym
            for m in jury.members.filter(draw=draw).exclude(status__in=JuryMember.OUT)
        ]
        drawn = seated if draw.panel_index is not None else None
    elif run is not None and run.status == LotteryRun.Status.DONE:
        probabilities = run.result["marginals"]
        drawn = None
    else:
        return None
    instance = lottery.instance_from_dict(run.instance)
    core = lottery.fairness(
        instance, marginals=probabilities, n_panels=len(run.result["panels"]), drawn_panel=drawn
    )
    solver = run.result["marginals"]
    report: dict[str, Any] = {
        "probabilities": core.probabilities,
        "n": len(core.probabilities),
        "k": instance.k,
        "equal_share": core.equal_share,
        "min": core.min_probability,
        "max": core.max_probability,
        "min_over_equal_share": core.min_over_equal_share,
        "gini": core.gini,
        "share_below_equal": core.share_below_equal,
        "support": core.n_panels,
        "distinct_panels": len({tuple(sorted(p)) for p in draw.lottery["panels"]})
        if draw
        else None,
        "lottery_size": lottery.lottery_size(draw.lottery) if draw else None,
        "computed_min": min(
            (p for pid, p in solver.items() if p > 0 and pid in core.probabilities), default=0.0
        ),
        "rounding": draw.lottery.get("polku", {}).get("rounding") if draw else None,
        "method": run.method,
        "run": run,
    }
    report["rows"] = [
        {
            "pseudonym": pid,
            "probability": p,
            "solver": solver.get(pid, 0.0),
            "below": p < core.equal_share - 1e-6,
        }
        for pid, p in sorted(core.probabilities.items(), key=lambda kv: (kv[1], kv[0]))
    ]
    report["quota_rows"] = quota_rows(jury=jury, draw=draw)
    return report


def quota_rows(*, jury: Jury, draw: Draw | None) -> list[dict[str, Any]]:
    """Quotas vs. the drawn panel (current seats: declined members count out, replacements in)."""
    seated: list[dict[str, str]] = []
    if draw is not None and draw.panel_index is not None:
        seated = [
            m.pool_member.attributes
            for m in jury.members.filter(draw=draw)
            .exclude(status__in=JuryMember.OUT)
            .select_related("pool_member")
        ]
    rows = []
    for q in jury.quotas.all():
        count = sum(1 for a in seated if a.get(q.attribute) == q.value)
        rows.append(
            {
                "quota": q,
                "seated": count if seated else None,
                "ok": (q.min_seats <= count <= q.max_seats) if seated else None,
            }
        )
    return rows


def audit_entries(*, jury: Jury) -> QuerySet[AuditEntry]:
    return jury.audit.order_by("seq")


def recommendations_with_support(*, jury: Jury) -> list[Recommendation]:
    """Recommendations with the distribution of the 5-point consent vote attached."""
    recs = list(
        jury.recommendations.prefetch_related(
            Prefetch("votes", queryset=Vote.objects.only("level", "recommendation_id")),
            Prefetch(
                "actions",
                queryset=FollowUpAction.objects.select_related("experiment__unit").order_by(
                    "created_at", "id"
                ),
            ),
        ).select_related("response")
    )
    today = timezone.localdate()
    due = jury.response_due_on
    for rec in recs:
        counts = Counter(v.level for v in rec.votes.all())
        total = sum(counts.values())
        rec.vote_total = total  # type: ignore[attr-defined]
        distribution = []
        offset = 0.0
        for level, label in sorted(Vote.Level.choices, reverse=True):
            percent = 100 * counts.get(level, 0) / total if total else 0.0
            distribution.append(
                {
                    "level": level,
                    "label": label,
                    "count": counts.get(level, 0),
                    "percent": f"{percent:.2f}",
                    "offset": f"{offset:.2f}",
                }
            )
            offset += percent
        rec.distribution = distribution  # type: ignore[attr-defined]
        rec.support = (  # type: ignore[attr-defined]
            round(100 * (counts.get(5, 0) + counts.get(4, 0)) / total) if total else None
        )
        rec.blocks = counts.get(1, 0)  # type: ignore[attr-defined]
        response = getattr(rec, "response", None) if _has_response(rec) else None
        rec.current_response = response  # type: ignore[attr-defined]
        rec.overdue = bool(due and response is None and today > due)  # type: ignore[attr-defined]
    return recs


def _has_response(rec: Recommendation) -> bool:
    try:
        rec.response  # noqa: B018
    except Recommendation.response.RelatedObjectDoesNotExist:  # type: ignore[attr-defined]
        return False
    return True


def voter_counts(*, jury: Jury) -> dict[str, int]:
    """{"jurors": accepted jurors of the current draw, "voters": those who voted at least once}."""
    accepted = JuryMember.objects.filter(
        jury=jury, status=JuryMember.Status.ACCEPTED, draw__voided_at__isnull=True
    )
    return {
        "jurors": accepted.count(),
        "voters": accepted.filter(votes__isnull=False).distinct().count(),
    }


def tally_visible(*, jury: Jury, voted: bool) -> bool:
    """Does a juror see the vote tally of a recommendation? After their own vote, or only once
    the facilitator reveals the tallies, as the jury chose; always once the statement is out."""
    if jury.statement_published_at is not None or jury.tallies_revealed_at is not None:
        return True
    return voted and jury.tally_visibility == Jury.TallyVisibility.AFTER_VOTE


def member_votes(*, member: JuryMember) -> dict[int, int]:
    return dict(member.votes.values_list("recommendation_id", "level"))


def jury_by_public_token(*, token: str) -> Jury | None:
    link_id = link_id_of(purpose=STATEMENT_PURPOSE, token=token)
    if link_id is None:
        return None
    return (
        Jury.objects.filter(public_link_id=link_id, statement_published_at__isnull=False)
        .select_related("organisation", "path")
        .first()
    )


def jury_by_signup_token(*, token: str) -> Jury | None:
    link_id = link_id_of(purpose=SIGNUP_PURPOSE, token=token)
    if link_id is None:
        return None
    return Jury.objects.filter(signup_link_id=link_id).select_related("organisation").first()


def alternates_per_seat(
    *, jury: Jury, draw: Draw | None, members: list[JuryMember]
) -> dict[int, tuple[int, int]]:
    """For each held seat: how many alternates could take it and keep every quota met, and how
    many of those are alike the person on the seat (same values of every attribute)."""
    if draw is None or draw.panel_index is None:
        return {}
    instance = lottery.instance_from_dict(draw.run.instance)
    seated = [m.pool_member.pseudonym for m in members if not m.is_out]
    ever = {m.pool_member.pseudonym for m in members}
    alternates = [p.id for p in instance.eligible if p.id not in ever]
    out = {}
    for m in members:
        if m.is_out:
            continue
        result = lottery.replacement(
            instance, panel=seated, decliner=m.pool_member.pseudonym, alternates=alternates
        )
        alike = len(result.alike) if result.chosen is not None and not result.differs else 0
        out[m.pk] = (len(result.candidates), alike)
    return out


def member_counts(*, members: Sequence[JuryMember]) -> dict[str, int]:
    """Seats by state, every state present (zero if nobody is in it)."""
    counts = dict.fromkeys(JuryMember.Status.values, 0)
    for m in members:
        counts[m.status] += 1
    return counts


def experiment_origins_from_juries(*, experiments: Sequence[Experiment]) -> dict[int, list[Origin]]:
    """Receiver of the ``experiment_origins`` hook (``polku.experiments.origins``): an experiment made from a jury's
    recommendation names the jury and links to the published statement (public, so unit
    contacts without jury access can follow the link too)."""
    actions = FollowUpAction.objects.filter(
        experiment__in=[e.pk for e in experiments]
    ).select_related("recommendation__jury")
    out: dict[int, list[Origin]] = {}
    for action in actions:
        rec = action.recommendation
        jury = rec.jury
        url = (
            reverse("juries:public_statement", args=[jury.public_token]) + f"#rec-{rec.pk}"
            if jury.public_token
            else ""
        )
        out.setdefault(action.experiment_id or 0, []).append(
            Origin(
                text=_(
                    "From the organisation jury “%(question)s”: recommendation %(n)d, “%(title)s”."
                )
                % {"question": jury.question, "n": rec.position, "title": rec.title},
                url=url,
                link_text=_("The jury's statement and the commissioner's response"),
            )
        )
    return out
