"""A card wall with themes: the shared core of topics, what_works, open_question, word_cloud.

State (JSON)::

    {"cards": {id: {"id", "text", "actor", "name", "unit", "hidden", "theme", "into", "paper"}},
     "themes": {id: {"id", "name"}}, "next_theme": 1}

Facilitator actions: hide, unhide, edit, merge (several cards into one), group (card → theme
or none), theme_add, theme_rename, theme_delete, note (a card typed in from a paper flip-chart),
groups_accept (grouping suggestions the facilitator accepted: new themes with their cards, in
one logged action) and groups_accept_undo (puts every card of one acceptance back where it was).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import (
    ActivityType,
    Event,
    Id,
    Int,
    Rejected,
    ResultItem,
    Shape,
    Text,
    clean_text,
)


class CardInput(Shape):
    text: Text | None = None
    unit: Int | None = None  # what_works: the unit the practice belongs to
    item: Id | None = None


class CardRef(Shape):
    card: Id | None = None
    item: Id | None = None


class CardEdit(CardRef):
    text: Text | None = None


class CardMerge(Shape):
    cards: Annotated[list[Id], msgspec.Meta(max_length=400)] | None = None
    item: Id | None = None


class CardGroup(CardRef):
    theme: Id | None = None


class ThemeRef(Shape):
    theme: Id | None = None
    name: Text | None = None
    item: Id | None = None


CARD_MODERATION: dict[str, type[Shape]] = {
    "hide": CardRef,
    "unhide": CardRef,
    "edit": CardEdit,
    "merge": CardMerge,
    "group": CardGroup,
    "theme_add": ThemeRef,
    "theme_rename": ThemeRef,
    "theme_delete": ThemeRef,
}


class GroupProposal(Shape):
    name: Text | None = None
    cards: Annotated[list[Id], msgspec.Meta(max_length=20_000)] | None = None


class GroupsAccept(Shape):
    groups: Annotated[list[GroupProposal], msgspec.Meta(max_length=60)] | None = None
    item: Id | None = None


class AcceptRef(Shape):
    accept: Id | None = None
    theme: Id | None = None  # or: the acceptance that made this theme (the console's button)
    item: Id | None = None


CARD_MODERATION["groups_accept"] = GroupsAccept
CARD_MODERATION["groups_accept_undo"] = AcceptRef
CARD_ACTIONS = frozenset(CARD_MODERATION)
MAX_ACCEPT_GROUPS = 30
MAX_CARDS = 20_000
MAX_THEMES = 60
CONSOLE_CARDS = 400


class CardWall(ActivityType):
    inputs: ClassVar[dict[str, type[Shape]]] = {"card": CardInput}
    moderation: ClassVar[dict[str, type[Shape]]] = CARD_MODERATION
    provides_items = True
    default_config: ClassVar[dict[str, Any]] = {"max_per_person": 5, "max_length": 200}
    result_kind: ClassVar[str] = "card"
    #: accept an optional unit tag from the participant (``what_works``)
    unit_tag: ClassVar[bool] = False
    #: the console offers grouping suggestions ("Ehdota ryhmiä", polku.grouping)
    groupable: ClassVar[bool] = True

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {
            "cards": {}, "themes": {}, "next_theme": 1, "by_actor": {},
            "accepts": {}, "next_accept": 1,
        }  # fmt: skip

    def grouping_cards(self, state: dict[str, Any]) -> list[tuple[str, str]]:
        """The cards a grouping suggestion may place: shown, not merged, not in a theme yet."""
        return [
            (c["id"], c["text"])
            for c in state["cards"].values()
            if not c["hidden"] and not c["into"] and c["theme"] is None
        ]

    # participant input --------------------------------------------------------------------
    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        text = clean_text(event.data.get("text"), max_length=int(config["max_length"]))
        mine = len(state["by_actor"].get(event.actor, ()))
        if not event.facilitator and mine >= int(config["max_per_person"]):
            raise Rejected(
                _("You have already sent %(n)s. Thank you!") % {"n": config["max_per_person"]},
                "limit",
            )
        if len(state["cards"]) >= MAX_CARDS:
            raise Rejected(_("The wall is full."), "limit")
        unit = event.unit
        if self.unit_tag and isinstance(event.data.get("unit"), int):
            unit = event.data["unit"]
        state["cards"][event.id] = {
            "id": event.id,
            "text": text,
            "actor": event.actor,
            "name": "" if config["anonymous"] else event.name,
            "unit": unit if self.unit_tag else None,
            "hidden": False,
            "theme": None,
            "into": None,
            "paper": event.facilitator,
        }
        state["by_actor"].setdefault(event.actor, []).append(event.id)

    # facilitator actions ------------------------------------------------------------------
    def _card(self, state: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
        card = state["cards"].get(data.get("card"))
        if card is None:
            raise Rejected(_("No such card."), "invalid")
        return card

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        if action in ("hide", "unhide"):
            self._card(state, data)["hidden"] = action == "hide"
        elif action == "edit":
            card = self._card(state, data)
            card["text"] = clean_text(data.get("text"), max_length=int(config["max_length"]))
        elif action == "merge":
            ids = data.get("cards")
            if not isinstance(ids, list) or len(ids) < 2 or len(ids) > 200:
                raise Rejected(_("Choose at least two cards to merge."), "invalid")
            cards = [self._card(state, {"card": i}) for i in ids]
            target = cards[0]
            if target["into"]:
                raise Rejected(_("That card is already merged."), "invalid")
            for card in cards[1:]:
                if card is not target:
                    card["into"] = target["id"]
                    card["theme"] = target["theme"]
                    for other in state["cards"].values():  # keep merges one level deep
                        if other["into"] == card["id"]:
                            other["into"] = target["id"]
        elif action == "group":
            card = self._card(state, data)
            theme = data.get("theme")
            if theme is not None and theme not in state["themes"]:
                raise Rejected(_("No such theme."), "invalid")
            card["theme"] = theme
            for other in state["cards"].values():
                if other["into"] == card["id"]:
                    other["theme"] = theme
        elif action == "theme_add":
            name = clean_text(data.get("name"), max_length=80)
            if len(state["themes"]) >= MAX_THEMES:
                raise Rejected(_("Too many themes."), "limit")
            theme_id = f"t{state['next_theme']}"
            state["next_theme"] += 1
            state["themes"][theme_id] = {"id": theme_id, "name": name}
        elif action == "theme_rename":
            theme = state["themes"].get(data.get("theme"))
            if theme is None:
                raise Rejected(_("No such theme."), "invalid")
            theme["name"] = clean_text(data.get("name"), max_length=80)
        elif action == "theme_delete":
            if data.get("theme") not in state["themes"]:
                raise Rejected(_("No such theme."), "invalid")
            del state["themes"][data["theme"]]
            for card in state["cards"].values():
                if card["theme"] == data["theme"]:
                    card["theme"] = None
        elif action == "groups_accept":
            self._accept(state, data)
        elif action == "groups_accept_undo":
            self._accept_undo(state, data)
        else:
            raise Rejected(_("Unknown action."), "invalid")

    def _accept(self, state: dict[str, Any], data: dict[str, Any]) -> None:
        """New themes from accepted suggestions: ``{"groups": [{"name", "cards": [id…]}]}``.
        Checks everything first; a card may be in one group only and must not be merged."""
        groups = data.get("groups")
        if not isinstance(groups, list) or not 1 <= len(groups) <= MAX_ACCEPT_GROUPS:
            raise Rejected(_("Choose at least one group to accept."), "invalid")
        if len(state["themes"]) + len(groups) > MAX_THEMES:
            raise Rejected(_("Too many themes."), "limit")
        planned: list[tuple[str, list[dict[str, Any]]]] = []
        taken: set[str] = set()
        for group in groups:
            if not isinstance(group, dict) or not isinstance(group.get("cards"), list):
                raise Rejected(_("Invalid value."), "invalid")
            name = clean_text(group.get("name"), max_length=80)
            cards = [self._card(state, {"card": i}) for i in group["cards"]]
            if not cards:
                raise Rejected(_("A group needs at least one card."), "invalid")
            for card in cards:
                if card["into"] or card["id"] in taken:
                    raise Rejected(_("A card can be in one group only."), "invalid")
                taken.add(card["id"])
            planned.append((name, cards))
        state.setdefault("accepts", {})
        accept_id = f"a{state.setdefault('next_accept', 1)}"
        state["next_accept"] += 1
        record: dict[str, Any] = {"themes": [], "prev": {}}
        for name, cards in planned:
            theme_id = f"t{state['next_theme']}"
            state["next_theme"] += 1
            state["themes"][theme_id] = {"id": theme_id, "name": name, "accept": accept_id}
            record["themes"].append(theme_id)
            for card in cards:
                record["prev"][card["id"]] = card["theme"]
                self.moderate(state, "group", {"card": card["id"], "theme": theme_id}, {})
        state["accepts"][accept_id] = record

    def _accept_undo(self, state: dict[str, Any], data: dict[str, Any]) -> None:
        accepts = state.get("accepts", {})
        accept_id = data.get("accept")
        if accept_id is None and data.get("theme") is not None:
            accept_id = next((a for a, r in accepts.items() if data["theme"] in r["themes"]), None)
        record = accepts.get(accept_id)
        if record is None:
            raise Rejected(_("Nothing to undo."), "invalid")
        themes = set(record["themes"])
        for card_id, prev in record["prev"].items():
            card = state["cards"].get(card_id)
            if card is not None and card["theme"] in themes:
                if prev is not None and prev not in state["themes"]:
                    prev = None
                self.moderate(state, "group", {"card": card_id, "theme": prev}, {})
        for theme_id in record["themes"]:
            if theme_id in state["themes"]:
                self.moderate(state, "theme_delete", {"theme": theme_id}, {})
        del accepts[accept_id]

    # serialisation ------------------------------------------------------------------------
    def _visible(self, state: dict[str, Any]) -> list[dict[str, Any]]:
        return [c for c in state["cards"].values() if not c["hidden"] and not c["into"]]

    def _merged_counts(self, state: dict[str, Any]) -> dict[str, int]:
        counts: dict[str, int] = {}
        for card in state["cards"].values():
            if card["into"] and not card["hidden"]:
                counts[card["into"]] = counts.get(card["into"], 0) + 1
        return counts

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        return self._wall(state, config, revealed, cards=12, per_theme=5)

    def _wall(
        self,
        state: dict[str, Any],
        config: dict[str, Any],
        revealed: bool,
        *,
        cards: int,
        per_theme: int,
    ) -> dict[str, Any]:
        """Newest ``cards`` loose cards and ``per_theme`` cards per theme (bounded size).

        One pass over the wall; dicts are built only for the cards that are shown.
        """
        merged: dict[str, int] = {}
        visible: list[dict[str, Any]] = []
        for card in state["cards"].values():
            if card["hidden"]:
                continue
            if card["into"]:
                merged[card["into"]] = merged.get(card["into"], 0) + 1
            else:
                visible.append(card)
        if config["hidden_until_reveal"] and not revealed:
            return {"count": len(visible), "cards": [], "themes": []}

        def show(c: dict[str, Any]) -> dict[str, Any]:
            return {
                "id": c["id"],
                "text": c["text"],
                "name": c["name"],
                "theme": c["theme"],
                "more": merged.get(c["id"], 0),
            }

        grouped: dict[str | None, list[dict[str, Any]]] = {}
        for card in visible:
            grouped.setdefault(card["theme"], []).append(card)
        themes = [
            {
                "id": t["id"],
                "name": t["name"],
                "n": len(grouped.get(t["id"], ())),
                "cards": [show(c) for c in grouped.get(t["id"], [])[:per_theme]],
            }
            for t in state["themes"].values()
        ]
        loose = grouped.get(None, [])
        # Snapshots go to every screen: bounded size, newest loose cards first.
        return {
            "count": len(visible),
            "cards": [show(c) for c in loose[-cards:][::-1]],
            "themes": themes,
        }

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        merged = self._merged_counts(state)
        themes = list(state["themes"].values())
        # The console lists every card up to a limit that keeps it usable and light.
        cards = [
            {
                "id": c["id"],
                "text": c["text"],
                "name": c["name"],
                "theme": c["theme"],
                "hidden": c["hidden"],
                "paper": c["paper"],
                "more": merged.get(c["id"], 0),
            }
            for c in list(state["cards"].values())[-CONSOLE_CARDS:]
            if not c["into"]
        ]
        return {
            "count": sum(1 for c in state["cards"].values() if not c["into"]),
            "themes": [
                {
                    **t,
                    "accept": t.get("accept"),
                    "cards": [c for c in cards if c["theme"] == t["id"]],
                }
                for t in themes
            ],
            "cards": [c for c in cards if c["theme"] is None],
            "theme_options": [{"id": t["id"], "name": t["name"]} for t in themes],
        }

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        cards = state["cards"]
        mine = [
            {"id": i, "text": cards[i]["text"]}
            for i in state["by_actor"].get(actor, ())
            if i in cards
        ]
        return {"cards": mine, "left": max(0, int(config["max_per_person"]) - len(mine))}

    def items(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        visible = self._visible(state)
        if state["themes"]:
            themed = [{"id": t["id"], "text": t["name"]} for t in state["themes"].values()]
            loose = [{"id": c["id"], "text": c["text"]} for c in visible if c["theme"] is None]
            return themed + loose
        return [{"id": c["id"], "text": c["text"]} for c in visible]

    def items_for(
        self, state: dict[str, Any], config: dict[str, Any], granularity: str
    ) -> list[dict[str, Any]]:
        """The vote's choice: themes (groups) and loose cards, themes only, or every card."""
        if granularity == "cards":
            return [{"id": c["id"], "text": c["text"]} for c in self._visible(state)]
        if granularity == "groups_only" and state["themes"]:
            return [{"id": t["id"], "text": t["name"]} for t in state["themes"].values()]
        return self.items(state, config)

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        merged = self._merged_counts(state)
        results = [
            ResultItem(
                kind="theme",
                text=t["name"],
                data={"cards": [c["text"] for c in self._visible(state) if c["theme"] == t["id"]]},
            )
            for t in state["themes"].values()
        ]
        results += [
            ResultItem(
                kind=self.result_kind,
                text=c["text"],
                score=float(1 + merged.get(c["id"], 0)),
                unit=c["unit"],
                data={"theme": state["themes"].get(c["theme"] or "", {}).get("name", "")},
            )
            for c in self._visible(state)
        ]
        return results
