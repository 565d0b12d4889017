"""Decide: each team records continue / adapt / scale / stop for its experiment. Closing the
activity applies the decisions; continuing or adapting starts the next round."""

from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _

from polku.activities.registry import (
    Event,
    Id,
    Rejected,
    ResultItem,
    Shape,
    Text,
    clean_text,
    register,
)
from polku.experiments.activity_types.report_back import PathCards, cards
from polku.experiments.services import decisions_apply

DECISIONS = ("continue", "adapt", "scale", "stop")


class Decision(Shape):
    item: Id | None = None
    decision: Id | None = None
    note: Text | None = None


@register
class Decide(PathCards):
    key = "decide"
    label = _("Decide: continue, adapt, scale or stop")
    description = _("Each team decides; continuing starts the next round.")
    inputs: ClassVar[dict[str, type[Shape]]] = {"decide": Decision}
    moderation: ClassVar[dict[str, type[Shape]]] = {"decide": Decision}
    anonymous_by_default = False
    # older days had their cards written into the slot's config before the workshop
    default_config: ClassVar[dict[str, Any]] = {"cards": []}

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"decisions": {}, "cards": None}

    def _record(
        self, state: dict[str, Any], data: dict[str, Any], config: dict[str, Any], name: str
    ) -> None:
        card = data.get("item")
        if card not in {c["id"] for c in cards(state, config)}:
            raise Rejected(_("No such experiment."), "invalid")
        decision = data.get("decision")
        if decision not in DECISIONS:
            raise Rejected(_("Choose continue, adapt, scale or stop."), "invalid")
        note = clean_text(data.get("note") or "", max_length=280, required=False)
        state["decisions"][card] = {"decision": decision, "note": note, "name": name}

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        self._record(state, event.data, config, event.name)

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        if action != "decide":
            raise Rejected(_("Unknown action."), "invalid")
        self._record(state, data, config, "")

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        out = []
        for c in cards(state, config):
            d = state["decisions"].get(c["id"], {})
            out.append({**c, "decision": d.get("decision", ""), "note": d.get("note", ""),
                        "decided": bool(d)})  # fmt: skip
        counts = {
            k: sum(1 for d in state["decisions"].values() if d["decision"] == k) for k in DECISIONS
        }
        return {
            "cards": out,
            "counts": counts,
            "decided": len(state["decisions"]),
            "count": len(out),
        }

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        titles = {c["id"]: c["title"] for c in cards(state, config)}
        return [
            ResultItem(kind="decision", text=titles.get(card, card),
                       data={"experiment": card, "decision": d["decision"], "note": d["note"]})
            for card, d in state["decisions"].items()
        ]  # fmt: skip

    def after_carry_forward(
        self, *, slot: Any, state: dict[str, Any], config: dict[str, Any]
    ) -> None:
        decisions_apply(
            decisions=[r.data for r in self.results(state, config)], path=slot.workshop_day.path
        )
