"""Kuulumiset: a gallery of the experiments' cards built from their check-ins.

The cards are read from the path (its open experiments, their latest check-ins and results)
each time the facilitator opens the activity (`open_data`, in the database thread; logged with
the open event, so the reducer stays pure and a replay gives the same cards). The facilitator
walks through them on the projector; participants react "we want to try this" and ask the team
questions. On close the reactions are logged on each experiment.
"""

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from polku.activities.registry import (
    ActivityType,
    Event,
    Id,
    Rejected,
    ResultItem,
    Shape,
    Text,
    clean_text,
    register,
)
from polku.experiments.services import interest_record, workshop_cards

MAX_QUESTIONS = 200


def cards(state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
    """The cards read when the activity opened (older days: written into the slot's config)."""
    source = state.get("cards") if state.get("cards") is not None else config.get("cards")
    return [c for c in source or [] if isinstance(c, dict) and c.get("id")]


class PathCards(ActivityType):
    """Reads the path's experiment cards each time it opens (report-back, decide)."""

    reads_on_open = True

    def open_data(self, *, slot: Any) -> dict[str, Any]:
        return {"cards": workshop_cards(path=slot.workshop_day.path)}

    def on_open_data(
        self, state: dict[str, Any], config: dict[str, Any], data: dict[str, Any]
    ) -> None:
        read = data.get("cards")
        if isinstance(read, list):
            state["cards"] = read


class Want(Shape):
    item: Id | None = None


class Question(Shape):
    item: Id | None = None
    text: Text | None = None


@register
class ReportBack(PathCards):
    key = "report_back"
    label = _("Report-back (kuulumiset)")
    description = _("A gallery of the experiments' results; react and ask the teams.")
    inputs: ClassVar[dict[str, type[Shape]]] = {"want": Want, "question": Question}
    moderation: ClassVar[dict[str, type[Shape]]] = {"focus": Want, "hide_question": Want}
    anonymous_by_default = False
    # older days had their cards written into the slot's config before the workshop
    default_config: ClassVar[dict[str, Any]] = {"cards": []}

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"want": {}, "questions": [], "focus": None, "cards": None}

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        card = event.data.get("item")
        if card not in {c["id"] for c in cards(state, config)}:
            raise Rejected(_("No such experiment."), "invalid")
        if event.kind == "want":
            wanting = state["want"].setdefault(card, [])
            if event.actor in wanting:
                wanting.remove(event.actor)
            else:
                wanting.append(event.actor)
            return
        text = clean_text(event.data.get("text"), max_length=280)
        if len(state["questions"]) >= MAX_QUESTIONS:
            raise Rejected(_("There are already enough questions."), "limit")
        state["questions"].append(
            {"id": event.id or str(len(state["questions"])), "card": card, "text": text,
             "name": event.name, "hidden": False}
        )  # fmt: skip

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        item = data.get("item")
        if action == "focus":
            if item not in {c["id"] for c in cards(state, config)}:
                raise Rejected(_("No such experiment."), "invalid")
            state["focus"] = item
            return
        if action == "hide_question":
            for q in state["questions"]:
                if q["id"] == item:
                    q["hidden"] = not q["hidden"]
                    return
            raise Rejected(_("No such question."), "invalid")
        raise Rejected(_("Unknown action."), "invalid")

    def _cards(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        questions: dict[str, list[dict[str, Any]]] = {}
        for q in state["questions"]:
            if not q["hidden"]:
                questions.setdefault(q["card"], []).append(
                    {"id": q["id"], "text": q["text"], "name": q["name"]}
                )
        return [
            {**c, "want": len(state["want"].get(c["id"], [])), "questions": questions.get(c["id"], [])[-20:],
             "focus": c["id"] == state["focus"]}
            for c in cards(state, config)
        ]  # fmt: skip

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        all_cards = self._cards(state, config)
        focus = next((c for c in all_cards if c["focus"]), None)
        return {"cards": all_cards, "focus": focus, "count": len(all_cards)}

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        snap = self.public_snapshot(state, config, True)
        snap["all_questions"] = [
            {"id": q["id"], "text": q["text"], "hidden": q["hidden"]} for q in state["questions"]
        ]
        return snap

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        return {"want": {card: "1" for card, actors in state["want"].items() if actor in actors}}

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        out = []
        for c in self._cards(state, config):
            out.append(
                ResultItem(
                    kind="interest",
                    text=c["title"],
                    score=float(c["want"]),
                    data={
                        "experiment": c["id"],
                        "want": c["want"],
                        "questions": [q["text"] for q in c["questions"]],
                    },
                )
            )
        return out

    def after_carry_forward(
        self, *, slot: Any, state: dict[str, Any], config: dict[str, Any]
    ) -> None:
        interest_record(interests=[r.data for r in self.results(state, config)], slot=slot)
