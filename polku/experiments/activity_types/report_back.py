"""Kuulumiset: a gallery of the experiments' cards built from their check-ins.

The cards are read from the path (its open experiments, their latest check-ins and results)
each time the facilitator opens the activity (`open_data`, in the database thread; logged with
the open event, so the reducer stays pure and a replay gives the same cards). The facilitator
walks through them on the projector; participants react "we want to try this" and ask the team
questions. On close the reactions are logged on each experiment.

The spotlight round: ``spotlight`` puts one team's card on every screen and phone at a time (the
next one in the gallery's order, or the one named), with a speaking timer that ends
``minutes`` after the server's clock at the action (``clock_actions``: logged, so replay is
the same). "We want to try this" is counted per unit of the people who press it, and those
units are offered first when the experiment is copied (``experiments.AdoptionInterest``).
"""

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from polku.activities.registry import (
    ActivityType,
    Empty,
    Event,
    Id,
    Int,
    Rejected,
    ResultItem,
    Shape,
    Text,
    clean_text,
    register,
)
from polku.experiments.services import interest_record, workshop_cards

MAX_QUESTIONS = 200
MAX_MINUTES = 60


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


class Spotlight(Shape):
    item: Id | None = None  # None: the next team
    minutes: Int | None = None


@register
class ReportBack(PathCards):
    key = "report_back"
    label = _("Report-back (kuulumiset)")
    description = _("A gallery of the experiments' results; react and ask the teams.")
    inputs: ClassVar[dict[str, type[Shape]]] = {"want": Want, "question": Question}
    moderation: ClassVar[dict[str, type[Shape]]] = {
        "focus": Want,
        "hide_question": Want,
        "spotlight": Spotlight,
        "spotlight_end": Empty,
    }
    clock_actions = frozenset({"spotlight"})
    anonymous_by_default = False
    # older days had their cards written into the slot's config before the workshop
    default_config: ClassVar[dict[str, Any]] = {"cards": []}

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "want": {}, "want_units": {}, "questions": [], "focus": None, "cards": None,
            "turn": None, "presented": [],
        }  # fmt: skip

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        card = event.data.get("item")
        if card not in {c["id"] for c in cards(state, config)}:
            raise Rejected(_("No such experiment."), "invalid")
        if event.kind == "want":
            wanting = state["want"].setdefault(card, [])
            units = state.setdefault("want_units", {}).setdefault(card, {})
            if event.actor in wanting:
                wanting.remove(event.actor)
                units.pop(event.actor, None)
            else:
                wanting.append(event.actor)
                units[event.actor] = event.unit
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
        if action == "spotlight":
            self._spotlight(state, data, config)
            return
        if action == "spotlight_end":
            state["focus"], state["turn"] = None, None
            return
        if action == "hide_question":
            for q in state["questions"]:
                if q["id"] == item:
                    q["hidden"] = not q["hidden"]
                    return
            raise Rejected(_("No such question."), "invalid")
        raise Rejected(_("Unknown action."), "invalid")

    def _spotlight(
        self, state: dict[str, Any], data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        order = [c["id"] for c in cards(state, config)]
        item = data.get("item")
        if item is None:
            after = order.index(state["focus"]) + 1 if state["focus"] in order else 0
            if after >= len(order):
                raise Rejected(_("Every team has had its turn."), "limit")
            item = order[after]
        elif item not in order:
            raise Rejected(_("No such experiment."), "invalid")
        minutes = data.get("minutes") or 0
        if not 0 <= minutes <= MAX_MINUTES:
            raise Rejected(_("The speaking time must be 0–%(n)s minutes.") % {"n": MAX_MINUTES},
                           "invalid")  # fmt: skip
        now = data.get("now")
        end = (
            round(float(now) + 60 * minutes, 1)
            if minutes and isinstance(now, int | float)
            else None
        )
        presented = state.setdefault("presented", [])
        if item not in presented:
            presented.append(item)
        state["focus"] = item
        state["turn"] = {"n": order.index(item) + 1, "of": len(order), "end": end}

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
        return {
            "cards": all_cards, "focus": focus, "count": len(all_cards),
            # the spotlight as a list of one, so its button knows its card
            "spot": [focus] if focus else [], "turn": state.get("turn") if focus else None,
        }  # fmt: skip

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
                        "units": self._want_units(state, c["id"]),
                        "questions": [q["text"] for q in c["questions"]],
                    },
                )
            )
        return out

    def _want_units(self, state: dict[str, Any], card: str) -> dict[str, int]:
        """How many of each unit want to try it ("" = people who did not say their unit)."""
        out: dict[str, int] = {}
        for unit in state.get("want_units", {}).get(card, {}).values():
            key = str(unit) if unit is not None else ""
            out[key] = out.get(key, 0) + 1
        return out

    def after_carry_forward(
        self, *, slot: Any, state: dict[str, Any], config: dict[str, Any]
    ) -> None:
        interest_record(interests=[r.data for r in self.results(state, config)], slot=slot)
