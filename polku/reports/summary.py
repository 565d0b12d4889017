"""The workshop summary: what one workshop day produced, as a JSON-ready snapshot.

Counts only for people: never a participant's name, nickname or any anonymous identity.
Sources that are not ready yet are left out of the snapshot (the page says so).
"""

from django.utils.translation import gettext_lazy as _

from polku.reports.selectors import source_ready
from polku.workshops.activity_types import activity_type_label
from polku.workshops.models import WorkshopDay

SUMMARY_SECTIONS = (
    "agenda",
    "topics",
    "influence",
    "what_works",
    "votes",
    "experiments",
    "commitments",
)

_LABELS = {
    "agenda": _("Programme"),
    "topics": _("Topics and how they were grouped"),
    "influence": _("Circle of influence"),
    "what_works": _("What already works"),
    "votes": _("Vote results"),
    "experiments": _("Experiments designed"),
    "commitments": _("Who committed"),
}


def section_label(key: str) -> str:
    return str(_LABELS[key])


def summary_data(*, workshop_day: WorkshopDay) -> dict:
    slots = list(workshop_day.agenda_slots.order_by("position", "id"))
    data: dict = {
        "agenda": [
            {"title": s.title, "activity": s.activity_type, "minutes": s.duration_minutes}
            for s in slots
        ],
    }
    data.update(_experiments(workshop_day=workshop_day, slot_ids=[s.pk for s in slots]))
    return data


def _experiments(*, workshop_day: WorkshopDay, slot_ids: list[int]) -> dict:
    if not source_ready("experiments", "Experiment"):
        return {}
    from polku.experiments.models import Experiment

    qs = (
        Experiment.objects.filter(path_id=workshop_day.path_id, source_slot_id__in=slot_ids)
        .select_related("unit")
        .prefetch_related("members")
        .order_by("unit__name", "title")
    )
    experiments = []
    team_members = 0
    for e in qs:
        members = len(e.members.all())
        team_members += members
        experiments.append(
            {
                "title": e.title,
                "unit": e.unit.name if e.unit else "",
                "topic": e.topic_title,
                "what_we_try": e.what_we_try,
                "first_step": e.first_step,
                "first_step_on": e.first_step_on.isoformat() if e.first_step_on else None,
                "team_size": members,
            }
        )
    return {
        "experiments": experiments,
        "commitments": {
            "experiments": len(experiments),
            "team_members": team_members,
            "units": len({x["unit"] for x in experiments if x["unit"]}),
        },
    }


def opted_in_participant_emails(*, workshop_day: WorkshopDay) -> list[str]:
    """Emails of participants who opted in to follow-ups (none until the live room has them)."""
    if not source_ready("live", "Participant"):
        return []
    return []


def summary_context(*, summary) -> dict:
    day = summary.workshop_day
    data = summary.data or {}
    sections = []
    for key in SUMMARY_SECTIONS:
        if key in summary.hidden_sections:
            continue
        sections.append(
            {
                "key": key,
                "label": section_label(key),
                "data": data.get(key),
                "available": key in data,
            }
        )
    agenda = [
        dict(item, label=activity_type_label(item["activity"]) if item.get("activity") else "")
        for item in data.get("agenda", [])
    ]
    return {
        "summary": summary,
        "day": day,
        "path": day.path,
        "organisation": day.path.organisation,
        "sections": sections,
        "agenda": agenda,
    }
