"""Path templates: the shapes a co-development path usually takes (see PRODUCT.md, step 6).

A template is code, not data: a list of workshop days at offsets from the start date, a
default agenda for each, and how long check-ins continue. The facilitator adapts the result.
"""

from dataclasses import dataclass, field

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class AgendaItem:
    title: Promise
    activity_type: str
    minutes: int


@dataclass(frozen=True)
class DayPlan:
    title: Promise
    offset_days: int
    agenda: tuple[AgendaItem, ...] = ()


@dataclass(frozen=True)
class PathTemplate:
    key: str
    name: Promise
    description: Promise
    duration_days: int
    followup_days: int
    days: tuple[DayPlan, ...] = field(default_factory=tuple)


KICKOFF_AGENDA = (
    AgendaItem(_("Warm-up"), "poll", 10),
    AgendaItem(_("Questions we can act on"), "topics", 40),
    AgendaItem(_("Circle of influence"), "influence", 20),
    AgendaItem(_("What already works"), "what_works", 40),
    AgendaItem(_("Prioritise"), "dot_vote", 15),
    AgendaItem(_("Design experiments"), "experiment_canvas", 60),
    AgendaItem(_("Reflection"), "open_question", 10),
)
FOLLOWUP_AGENDA = (
    AgendaItem(_("Warm-up"), "poll", 10),
    AgendaItem(_("Report-back: what did we try?"), "report_back", 60),
    AgendaItem(_("What did we learn?"), "what_works", 30),
    AgendaItem(_("Decide: continue, adapt, scale or stop"), "decide", 30),
    AgendaItem(_("Next round of experiments"), "experiment_canvas", 45),
    AgendaItem(_("Reflection"), "open_question", 10),
)
CLOSING_AGENDA = (
    AgendaItem(_("Report-back: results"), "report_back", 60),
    AgendaItem(_("Decide what stays"), "decide", 40),
    AgendaItem(_("Word cloud: what changed?"), "word_cloud", 15),
)

TEMPLATES: dict[str, PathTemplate] = {
    t.key: t
    for t in (
        PathTemplate(
            key="one_day",
            name=_("One workshop day + follow-up"),
            description=_(
                "One workshop day, then check-ins on the experiments for three months. "
                "For smaller improvements."
            ),
            duration_days=91,
            followup_days=91,
            days=(DayPlan(_("Workshop day"), 0, KICKOFF_AGENDA),),
        ),
        PathTemplate(
            key="half_year",
            name=_("Half-year path"),
            description=_("Kick-off, a follow-up workshop at about 3 months, closing at about 6."),
            duration_days=183,
            followup_days=183,
            days=(
                DayPlan(_("Kick-off"), 0, KICKOFF_AGENDA),
                DayPlan(_("Follow-up workshop"), 91, FOLLOWUP_AGENDA),
                DayPlan(_("Closing workshop"), 182, CLOSING_AGENDA),
            ),
        ),
        PathTemplate(
            key="year",
            name=_("Year path"),
            description=_("Four workshop days over twelve months, for larger, lasting change."),
            duration_days=365,
            followup_days=365,
            days=(
                DayPlan(_("Kick-off"), 0, KICKOFF_AGENDA),
                DayPlan(_("Second workshop day"), 91, FOLLOWUP_AGENDA),
                DayPlan(_("Third workshop day"), 182, FOLLOWUP_AGENDA),
                DayPlan(_("Closing workshop"), 364, CLOSING_AGENDA),
            ),
        ),
        PathTemplate(
            key="blank",
            name=_("Blank"),
            description=_("No workshop days yet; add your own."),
            duration_days=183,
            followup_days=0,
            days=(),
        ),
    )
}


def template_choices() -> list[tuple[str, Promise]]:
    return [(t.key, t.name) for t in TEMPLATES.values()]
