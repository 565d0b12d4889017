"""Reads for juries. Every query starts from the request's membership (tenant + unit scope)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone

from polku.juries import lottery_adapter as lottery
from polku.juries.models import (
    AuditEntry,
    Draw,
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


def pool_summary(*, jury: Jury) -> dict[str, dict[str, int]]:
    """{attribute: {value: count}} over the eligible pool."""
    out: dict[str, Counter[str]] = {}
    for attributes in jury.pool.filter(excluded=False).values_list("attributes", flat=True):
        for key, value in attributes.items():
            out.setdefault(key, Counter())[value] += 1
    return {k: dict(sorted(v.items())) for k, v in sorted(out.items())}


def fairness_report(
    *, jury: Jury, draw: Draw | None, run: LotteryRun | None
) -> dict[str, Any] | None:
    """Fairness figures (the core's report): of the committed lottery (probabilities after
    rounding to equally likely slots) if there is one, else of the latest run."""
    if draw is not None:
        run = draw.run
        probabilities = lottery.slot_marginals(draw.lottery["panels"])
        seated = [
            m.pool_member.pseudonym
            for m in jury.members.filter(draw=draw).exclude(status=JuryMember.Status.DECLINED)
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
            .exclude(status=JuryMember.Status.DECLINED)
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
            Prefetch("votes", queryset=Vote.objects.only("level", "recommendation_id"))
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


def member_votes(*, member: JuryMember) -> dict[int, int]:
    return dict(member.votes.values_list("recommendation_id", "level"))


def jury_by_public_token(*, token: str) -> Jury | None:
    if not token or len(token) > 64:
        return None
    return (
        Jury.objects.filter(public_token=token, statement_published_at__isnull=False)
        .select_related("organisation", "path")
        .first()
    )


def jury_by_signup_token(*, token: str) -> Jury | None:
    if not token or len(token) > 64:
        return None
    return Jury.objects.filter(signup_token=token).select_related("organisation").first()


def alternates_per_seat(
    *, jury: Jury, draw: Draw | None, members: list[JuryMember]
) -> dict[int, int]:
    """For each open seat: how many alternates could take it and keep every quota met."""
    if draw is None or draw.panel_index is None:
        return {}
    instance = lottery.instance_from_dict(draw.run.instance)
    seated = [m.pool_member.pseudonym for m in members if m.status != JuryMember.Status.DECLINED]
    ever = {m.pool_member.pseudonym for m in members}
    alternates = [p.id for p in instance.eligible if p.id not in ever]
    return {
        m.pk: len(
            lottery.replacement(
                instance, panel=seated, decliner=m.pool_member.pseudonym, alternates=alternates
            ).candidates
        )
        for m in members
        if m.status != JuryMember.Status.DECLINED
    }
