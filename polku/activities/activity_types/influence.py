"""Circle of influence (vaikutuspiiri): we decide / we influence / out of our hands.

Each person places each topic in one circle. A topic that most people place out of our hands
is *parked*: still visible, marked, and not offered to later votes. The facilitator can park or
unpark a topic by hand.
"""

from typing import Any, ClassVar

from django import forms
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

ZONES = ("decide", "influence", "out")


class InfluenceConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Prompt"), required=False, max_length=300)
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)


class Place(Shape):
    item: Id | None = None
    zone: Id | None = None


class ItemRef(Shape):
    item: Id | None = None


class ItemAdd(Shape):
    text: Text | None = None
    item: Id | None = None


@register
class Influence(ActivityType):
    key = "influence"
    label = _("Circle of influence")
    description = _("We decide / we influence / out of our hands.")
    inputs: ClassVar[dict[str, type[Shape]]] = {"place": Place}
    moderation: ClassVar[dict[str, type[Shape]]] = {
        "park": ItemRef,
        "unpark": ItemRef,
        "auto": ItemRef,
        "item_add": ItemAdd,
    }
    needs_items = True
    provides_items = True
    config_form = InfluenceConfigForm
    default_config: ClassVar[dict[str, Any]] = {"items": []}

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        items = [
            {"id": f"c{i}", "text": str(t)[:200]} for i, t in enumerate(config.get("items") or [])
        ]
        return {"items": items, "by": {}, "counts": {}, "override": {}}

    def on_open(
        self, state: dict[str, Any], config: dict[str, Any], source_items: list[dict[str, Any]]
    ) -> None:
        if not state["items"]:
            state["items"] = [
                {"id": str(i["id"]), "text": str(i["text"])[:200]} for i in source_items[:100]
            ]

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        item, zone = event.data.get("item"), event.data.get("zone")
        if not any(i["id"] == item for i in state["items"]):
            raise Rejected(_("No such item."), "invalid")
        if zone not in ZONES:
            raise Rejected(_("Choose one of the circles."), "invalid")
        mine = state["by"].setdefault(event.actor, {})
        counts = state["counts"].setdefault(item, dict.fromkeys(ZONES, 0))
        if item in mine:
            counts[mine[item]] -= 1
        mine[item] = zone
        counts[zone] += 1

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        if action == "item_add":
            text = clean_text(data.get("text"), max_length=200)
            state["items"].append({"id": f"m{len(state['items'])}", "text": text})
            return
        item = data.get("item")
        if not any(i["id"] == item for i in state["items"]):
            raise Rejected(_("No such item."), "invalid")
        if action == "auto":
            state["override"].pop(item, None)
        else:
            state["override"][item] = action == "park"

    def _rows(self, state: dict[str, Any]) -> list[dict[str, Any]]:
        rows = []
        for item in state["items"]:
            counts = state["counts"].get(item["id"], dict.fromkeys(ZONES, 0))
            total = sum(counts.values())
            parked = state["override"].get(item["id"], total > 0 and counts["out"] * 2 > total)
            pct = {z: round(100 * counts[z] / total) if total else 0 for z in ZONES}
            rows.append(
                {"id": item["id"], "text": item["text"], "n": total, "parked": parked,
                 **{z: counts[z] for z in ZONES}, **{f"{z}_pct": pct[z] for z in ZONES}}
            )  # fmt: skip
        return rows

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        snap: dict[str, Any] = {
            "items": [{"id": i["id"], "text": i["text"]} for i in state["items"]],
            "n": len(state["by"]),
            "shown": False,
        }
        if revealed or not config["hidden_until_reveal"]:
            snap["results"] = self._rows(state)
            snap["shown"] = True
        return snap

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return {"n": len(state["by"]), "results": self._rows(state), "shown": True}

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        mine = state["by"].get(actor, {})
        return {"placed": dict(mine), "n": len(mine)}

    def items(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": r["id"], "text": r["text"]} for r in self._rows(state) if not r["parked"]]

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        return [
            ResultItem(
                kind="parked" if r["parked"] else "influence",
                text=r["text"],
                score=float(r["decide"] + r["influence"]),
                data={z: r[z] for z in ZONES},
            )
            for r in self._rows(state)
        ]
