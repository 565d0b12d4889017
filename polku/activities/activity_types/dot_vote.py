"""Prioritise with dots: N dots per person, at most M per item, hidden until revealed."""

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import (
    ITEMS_FROM_CHOICES,
    ActivityType,
    Event,
    Id,
    Int,
    Rejected,
    ResultItem,
    Shape,
    Text,
    clean_text,
    int_arg,
    register,
)


class DotVoteConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Prompt"), required=False, max_length=300)
    dots = forms.IntegerField(label=_("Dots per person"), min_value=1, max_value=20)
    max_per_item = forms.IntegerField(label=_("Most dots on one item"), min_value=1, max_value=20)
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)
    items_from = forms.ChoiceField(
        label=_("What to vote on"),
        choices=ITEMS_FROM_CHOICES,
        help_text=_("When the earlier card wall has groups: vote on the groups or on the cards."),
    )


class Vote(Shape):
    item: Id | None = None
    delta: Int | None = None


class ItemAdd(Shape):
    text: Text | None = None
    item: Id | None = None


class ItemRef(Shape):
    item: Id | None = None


@register
class DotVote(ActivityType):
    key = "dot_vote"
    label = _("Prioritise: dot voting")
    description = _("Everyone spends a few dots on the items that matter most.")
    inputs: ClassVar[dict[str, type[Shape]]] = {"vote": Vote}
    moderation: ClassVar[dict[str, type[Shape]]] = {"item_add": ItemAdd, "item_hide": ItemRef}
    hidden_until_reveal_by_default = True
    needs_items = True
    provides_items = True
    config_form = DotVoteConfigForm
    default_config: ClassVar[dict[str, Any]] = {
        "dots": 5, "max_per_item": 3, "items": [], "items_from": "groups",
    }  # fmt: skip

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        items = [
            {"id": f"c{i}", "text": str(text)[:200], "hidden": False}
            for i, text in enumerate(config.get("items") or [])
        ]
        return {"items": items, "votes": {}, "totals": {}, "voters": 0}

    def on_open(
        self, state: dict[str, Any], config: dict[str, Any], source_items: list[dict[str, Any]]
    ) -> None:
        if state["items"]:
            return
        state["items"] = [
            {"id": str(item["id"]), "text": str(item["text"])[:200], "hidden": False}
            for item in source_items[:200]
        ]

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        item_id = event.data.get("item")
        if not any(i["id"] == item_id and not i["hidden"] for i in state["items"]):
            raise Rejected(_("No such item."), "invalid")
        delta = int_arg(event.data, "delta", low=-1, high=1)
        mine = state["votes"].get(event.actor, {})
        current = mine.get(item_id, 0)
        if delta == 1:
            if sum(mine.values()) >= config["dots"]:
                raise Rejected(_("You have no dots left."), "budget")
            if current >= config["max_per_item"]:
                raise Rejected(
                    _("At most %(n)s dots on one item.") % {"n": config["max_per_item"]}, "budget"
                )
        elif delta == -1 and current == 0:
            raise Rejected(_("There is no dot of yours to remove."), "budget")
        elif delta == 0:
            raise Rejected(_("Invalid value."), "invalid")
        if event.actor not in state["votes"]:
            state["votes"][event.actor] = mine
            state["voters"] += 1
        mine[item_id] = current + delta
        state["totals"][item_id] = state["totals"].get(item_id, 0) + delta

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        if action == "item_add":
            text = clean_text(data.get("text"), max_length=200)
            state["items"].append({"id": f"m{len(state['items'])}", "text": text, "hidden": False})
        elif action == "item_hide":
            for item in state["items"]:
                if item["id"] == data.get("item"):
                    item["hidden"] = not item["hidden"]
                    return
            raise Rejected(_("No such item."), "invalid")
        else:
            raise Rejected(_("Unknown action."), "invalid")

    def _ranked(self, state: dict[str, Any]) -> list[dict[str, Any]]:
        totals = state["totals"]
        items = [i for i in state["items"] if not i["hidden"]]
        top = max([totals.get(i["id"], 0) for i in items] + [1])
        ranked = [
            {
                "id": i["id"],
                "text": i["text"],
                "n": totals.get(i["id"], 0),
                "pct": round(100 * totals.get(i["id"], 0) / top),
            }
            for i in items
        ]
        ranked.sort(key=lambda r: -r["n"])
        return ranked

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        items = [{"id": i["id"], "text": i["text"]} for i in state["items"] if not i["hidden"]]
        # no running counts here: phones get a new snapshot only when something they see changes
        snap: dict[str, Any] = {"items": items, "shown": False}
        if revealed or not config["hidden_until_reveal"]:
            snap["results"] = self._ranked(state)
            snap["shown"] = True
        return snap

    def presenter_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        snap = self.public_snapshot(state, config, revealed)
        snap["dots"] = sum(state["totals"].values())
        snap["voters"] = state["voters"]
        del snap["items"]
        return snap

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        snap = self.presenter_snapshot(state, config, True)
        snap["all_items"] = state["items"]
        return snap

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        mine = state["votes"].get(actor, {})
        return {"votes": mine, "left": config["dots"] - sum(mine.values())}

    def items(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": r["id"], "text": r["text"]} for r in self._ranked(state) if r["n"] > 0]

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        return [
            ResultItem(kind="priority", text=r["text"], score=float(r["n"]))
            for r in self._ranked(state)
        ]
