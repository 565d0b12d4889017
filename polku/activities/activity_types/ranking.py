"""Prioritise by ranking: everyone ranks their top k; Borda points (k for 1st … 1 for k-th)."""

from typing import Annotated, Any, ClassVar

import msgspec
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
    register,
)


class RankingConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Prompt"), required=False, max_length=300)
    top_k = forms.IntegerField(label=_("How many to rank"), min_value=1, max_value=10)
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)
    items_from = forms.ChoiceField(
        label=_("What to vote on"),
        choices=ITEMS_FROM_CHOICES,
        help_text=_("When the earlier card wall has groups: vote on the groups or on the cards."),
    )


#: item id → its rank (1..k) or null; the whole form as the phone sends it
Ranks = Annotated[dict[Id, Int | None], msgspec.Meta(max_length=100)]


@register
class Ranking(ActivityType):
    key = "ranking"
    label = _("Prioritise: ranking")
    inputs: ClassVar[dict[str, Any]] = {"rank": Ranks}
    hidden_until_reveal_by_default = True
    needs_items = True
    provides_items = True
    config_form = RankingConfigForm
    default_config: ClassVar[dict[str, Any]] = {"top_k": 3, "items": [], "items_from": "groups"}

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        items = [
            {"id": f"c{i}", "text": str(t)[:200]} for i, t in enumerate(config.get("items") or [])
        ]
        return {"items": items, "by": {}, "points": {}}

    def on_open(
        self, state: dict[str, Any], config: dict[str, Any], source_items: list[dict[str, Any]]
    ) -> None:
        if not state["items"]:
            state["items"] = [
                {"id": str(i["id"]), "text": str(i["text"])[:200]} for i in source_items[:60]
            ]

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        """``data`` maps item id → rank (1..k) or null, as the phone form sends it."""
        k = int(config["top_k"])
        ids = {i["id"] for i in state["items"]}
        ranks: dict[int, str] = {}
        for item, rank in event.data.items():
            if rank is None or rank == "":
                continue
            if item not in ids or isinstance(rank, bool) or not isinstance(rank, int):
                raise Rejected(_("Invalid value."), "invalid")
            if not 1 <= rank <= k:
                raise Rejected(_("Invalid value."), "invalid")
            if rank in ranks:
                raise Rejected(_("Give each place to only one item."), "invalid")
            ranks[rank] = item
        if not ranks:
            raise Rejected(_("Rank at least one item."), "empty")
        for item, points in state["by"].get(event.actor, {}).items():
            state["points"][item] -= points
        mine = {item: k + 1 - rank for rank, item in ranks.items()}
        state["by"][event.actor] = mine
        for item, points in mine.items():
            state["points"][item] = state["points"].get(item, 0) + points

    def _ranked(self, state: dict[str, Any]) -> list[dict[str, Any]]:
        top = max([*state["points"].values(), 1])
        rows = [
            {"id": i["id"], "text": i["text"], "n": state["points"].get(i["id"], 0),
             "pct": round(100 * state["points"].get(i["id"], 0) / top)}
            for i in state["items"]
        ]  # fmt: skip
        rows.sort(key=lambda r: -r["n"])
        return rows

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        k = int(config["top_k"])
        snap: dict[str, Any] = {
            "items": [{"id": i["id"], "text": i["text"]} for i in state["items"]],
            "ranks": [{"id": r, "name": str(r)} for r in range(1, k + 1)],
            "k": k,
            "n": len(state["by"]),
            "shown": False,
        }
        if revealed or not config["hidden_until_reveal"]:
            snap["results"] = self._ranked(state)
            snap["shown"] = True
        return snap

    def presenter_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        snap = self.public_snapshot(state, config, revealed)
        del snap["items"]
        return snap

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return {"n": len(state["by"]), "results": self._ranked(state), "shown": True}

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        k = int(config["top_k"])
        mine = state["by"].get(actor, {})
        return {
            "ranks": {item: k + 1 - points for item, points in mine.items()},
            "done": bool(mine),
        }

    def items(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"id": r["id"], "text": r["text"]} for r in self._ranked(state) if r["n"] > 0]

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        return [
            ResultItem(kind="priority", text=r["text"], score=float(r["n"]))
            for r in self._ranked(state)
        ]
