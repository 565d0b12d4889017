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
    """Fairness figures: of the committed lottery if there is one, else of the latest run."""
    if draw is not None:
        marginals = draw.run.result["marginals"]
        report = lottery.fairness(
            marginals=marginals, k=jury.panel_size, lottery=draw.lottery["panels"]
        )
        report["solver_marginals"] = marginals
        report["method"] = draw.run.method
        report["support"] = len(draw.run.result["panels"])
        report["run"] = draw.run
    elif run is not None and run.status == LotteryRun.Status.DONE:
        marginals = run.result["marginals"]
        report = lottery.fairness(marginals=marginals, k=jury.panel_size)
        report["solver_marginals"] = marginals
        report["method"] = run.method
        report["support"] = len(run.result["panels"])
        report["run"] = run
    else:
        return None
    report["rows"] = [
        {
            "pseudonym": pid,
            "probability": p,
            "solver": report["solver_marginals"].get(pid, 0.0),
            "below": p < report["equal_share"] - 1e-6,
        }
        for pid, p in sorted(report["probabilities"].items(), key=lambda kv: (kv[1], kv[0]))
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
    instance = lottery.instance_from_dict(draw.lottery["instance"])
    seated = [m.pool_member.pseudonym for m in members if m.status != JuryMember.Status.DECLINED]
    ever = {m.pool_member.pseudonym for m in members}
    out: dict[int, int] = {}
    for m in members:
        if m.status == JuryMember.Status.DECLINED:
            continue
        candidates = lottery.replacement_candidates(
            instance, panel=seated, leaving=m.pool_member.pseudonym
        )
        out[m.pk] = sum(1 for c in candidates if c not in ever)
    return out
