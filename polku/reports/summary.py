"""The workshop summary: what one workshop day produced, as a JSON-ready snapshot.

Counts only for people: never a participant's name, nickname or any anonymous identity.
Sources that are not ready yet are left out of the snapshot (the page says so).
"""

from typing import Any

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
    data.update(_activity_results(slots=slots))
    data.update(_experiments(workshop_day=workshop_day, slot_ids=[s.pk for s in slots]))
    participants = _participant_count(workshop_day=workshop_day)
    if participants is not None and "commitments" in data:
        data["commitments"]["participants"] = participants
    return data


VOTE_TYPES = ("dot_vote", "ranking", "poll")


def _num(score: float | None) -> float | int | None:
    if score is None:
        return None
    return int(score) if float(score).is_integer() else round(score, 1)


def _activity_results(*, slots: list) -> dict:
    """Topics with their grouping, circle of influence, what works and vote totals, from the
    results the activities carried forward. No participant identifiers exist in them."""
    if not source_ready("activities", "ActivityResult"):
        return {}
    from polku.activities.models import ActivityResult

    by_slot: dict[int, list] = {}
    for r in ActivityResult.objects.filter(slot__in=[s.pk for s in slots]).order_by(
        "slot_id", "position", "id"
    ):
        by_slot.setdefault(r.slot_id, []).append(r)
    groups: dict[str, list[str]] = {}
    influence, what_works, votes = [], [], []
    for slot in slots:
        rows = by_slot.get(slot.pk, [])
        if slot.activity_type == "topics":
            for r in rows:
                if r.kind == "topic":
                    groups.setdefault((r.data or {}).get("theme", ""), []).append(r.text)
            for r in rows:
                if r.kind == "theme":
                    groups.setdefault(r.text, [])
        elif slot.activity_type == "influence":
            for r in rows:
                d = r.data or {}
                influence.append(
                    {
                        "text": r.text,
                        "decide": d.get("decide", 0),
                        "influence": d.get("influence", 0),
                        "out": d.get("out", 0),
                        "parked": r.kind == "parked",
                    }
                )
        elif slot.activity_type == "what_works":
            what_works += [
                {"text": r.text, "topic": (r.data or {}).get("theme", "")}
                for r in rows
                if r.kind == "what_works"
            ]
        elif slot.activity_type in VOTE_TYPES and rows:
            votes.append(
                {
                    "title": slot.title,
                    "activity": slot.activity_type,
                    "results": [{"label": r.text, "count": _num(r.score)} for r in rows],
                }
            )
    topic_groups: list[dict[str, Any]] = [
        {"title": title, "topics": topics} for title, topics in groups.items() if title
    ]
    if groups.get(""):
        # no title stored: "Not grouped" is said in the reader's language (summary_context)
        topic_groups.append({"title": "", "ungrouped": True, "topics": groups[""]})
    return {
        "topics": {"groups": topic_groups},
        "influence": influence,
        "what_works": what_works,
        "votes": votes,
    }


def _participant_count(*, workshop_day: WorkshopDay) -> int | None:
    if not source_ready("live", "Participant"):
        return None
    from polku.live.models import Participant

    return Participant.objects.filter(workshop_day=workshop_day).count()


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
    """Emails of participants who opted in to follow-ups.

    The live room stores no participant email address (only a keyed hash, for recognising a
    returning participant; it promises "we do not send you email"), so there is nobody to
    email yet. Participants get the summary through its public link instead. When the live
    room adds an email opt-in, read it here.
    """
    return []


# Summaries made before the title was left out stored "Not grouped" in the language of the day
_UNGROUPED_STORED = frozenset({"Not grouped", "Ryhmittelemättä", "Ogrupperade"})


def _topic_groups(groups: list | None) -> list:
    """The topic groups with the ungrouped one titled in the reader's language."""
    return [
        dict(group, title=str(_("Not grouped")))
        if group.get("ungrouped") or group.get("title") in _UNGROUPED_STORED
        else group
        for group in groups or []
    ]


def summary_context(*, summary) -> dict:
    day = summary.workshop_day
    data = summary.data or {}
    sections = []
    for key in SUMMARY_SECTIONS:
        if key in summary.hidden_sections:
            continue
        section_data = data.get(key)
        if key == "topics" and section_data:
            section_data = {**section_data, "groups": _topic_groups(section_data.get("groups"))}
        sections.append(
            {
                "key": key,
                "label": section_label(key),
                "data": section_data,
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
