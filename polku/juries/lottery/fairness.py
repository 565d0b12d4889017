"""Fairness report for a panel distribution (or a rounded lottery) and a drawn panel."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .instance import Instance

__all__ = ["FairnessReport", "QuotaRow", "fairness_report", "gini"]


def gini(values: Iterable[float]) -> float:
    """Gini coefficient ``sum_ij |x_i - x_j| / (2 n^2 mean)`` (0 = perfectly equal)."""
    xs = sorted(values)
    n = len(xs)
    total = sum(xs)
    if n == 0 or total <= 0:
        return 0.0
    # sum_ij |x_i - x_j| = 2 * sum_i (2i - n + 1) x_i for sorted x (0-based i)
    s = sum((2 * i - n + 1) * x for i, x in enumerate(xs))
    return max(0.0, s / (n * total))


@dataclass(frozen=True)
class QuotaRow:
    """A quota with the count of the drawn panel (``None`` if no panel given)."""

    attribute: str
    value: str
    min: int
    max: int
    panel_count: int | None

    @property
    def satisfied(self) -> bool | None:
        """Whether the drawn panel meets the quota."""
        if self.panel_count is None:
            return None
        return self.min <= self.panel_count <= self.max


@dataclass(frozen=True)
class FairnessReport:
    """Per-person probabilities and summary statistics."""

    probabilities: dict[str, float]
    min_probability: float
    max_probability: float
    equal_share: float
    min_over_equal_share: float
    gini: float
    share_below_equal: float
    n_panels: int
    quotas: tuple[QuotaRow, ...]

    def describe(self) -> str:
        """English summary."""
        return (
            f"min probability {self.min_probability:.4f} vs equal share k/n "
            f"{self.equal_share:.4f} (ratio {self.min_over_equal_share:.3f}), gini "
            f"{self.gini:.3f}, {100 * self.share_below_equal:.1f}% below k/n, "
            f"{self.n_panels} panels"
        )


def fairness_report(
    instance: Instance,
    marginals: Mapping[str, float],
    n_panels: int,
    drawn_panel: Iterable[str] | None = None,
    tolerance: float = 1e-6,
) -> FairnessReport:
    """Summarise ``marginals`` (person id -> probability) against the equal share ``k/n``."""
    people = instance.eligible
    probs = {p.id: float(marginals.get(p.id, 0.0)) for p in people}
    n = len(people)
    equal = instance.k / n if n else 0.0
    vals = list(probs.values())
    mn = min(vals) if vals else 0.0
    rows: list[QuotaRow] = []
    members = set(drawn_panel) if drawn_panel is not None else None
    for q in instance.quotas:
        count = None
        if members is not None:
            count = sum(
                1
                for p in instance.people
                if p.id in members and p.features.get(q.attribute) == q.value
            )
        rows.append(QuotaRow(q.attribute, q.value, q.min, q.max, count))
    return FairnessReport(
        probabilities=probs,
        min_probability=mn,
        max_probability=max(vals) if vals else 0.0,
        equal_share=equal,
        min_over_equal_share=mn / equal if equal else 0.0,
        gini=gini(vals),
        share_below_equal=(sum(1 for v in vals if v < equal - tolerance) / n) if n else 0.0,
        n_panels=n_panels,
        quotas=tuple(rows),
    )
