"""Word cloud: a few words each; the projector sizes words by how often they were given."""

from typing import Annotated, Any, ClassVar

import msgspec
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


class WordCloudConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Prompt"), required=False, max_length=300)
    max_per_person = forms.IntegerField(label=_("Words per person"), min_value=1, max_value=10)
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)


class Word(Shape):
    text: Text | None = None
    item: Id | None = None


class WordRef(Shape):
    item: Annotated[str, msgspec.Meta(max_length=200)] | None = None


@register
class WordCloud(ActivityType):
    key = "word_cloud"
    label = _("Word cloud")
    inputs: ClassVar[dict[str, type[Shape]]] = {"word": Word}
    moderation: ClassVar[dict[str, type[Shape]]] = {"hide_word": WordRef, "unhide_word": WordRef}
    config_form = WordCloudConfigForm
    default_config: ClassVar[dict[str, Any]] = {"max_per_person": 3}

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"counts": {}, "by": {}, "hidden": []}

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        word = clean_text(event.data.get("text"), max_length=40).lower()
        mine = state["by"].get(event.actor, [])
        if len(mine) >= config["max_per_person"]:
            raise Rejected(
                _("You have already sent %(n)s. Thank you!") % {"n": config["max_per_person"]},
                "limit",
            )
        if word in mine:
            raise Rejected(_("You already sent that word."), "duplicate")
        if word not in state["counts"] and len(state["counts"]) >= 5000:
            raise Rejected(_("The wall is full."), "limit")
        state["by"][event.actor] = [*mine, word]
        state["counts"][word] = state["counts"].get(word, 0) + 1

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        word = data.get("item")
        if word not in state["counts"]:
            raise Rejected(_("No such item."), "invalid")
        if action == "hide_word" and word not in state["hidden"]:
            state["hidden"].append(word)
        elif action == "unhide_word" and word in state["hidden"]:
            state["hidden"].remove(word)

    def _words(self, state: dict[str, Any], limit: int) -> list[dict[str, Any]]:
        hidden = set(state["hidden"])
        words = sorted(
            ((w, n) for w, n in state["counts"].items() if w not in hidden), key=lambda wn: -wn[1]
        )[:limit]
        top = words[0][1] if words else 1
        return [
            {"id": w, "text": w, "n": n, "size": f"cloud__w cloud__w--{1 + round(4 * n / top)}"}
            for w, n in words
        ]

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        if config["hidden_until_reveal"] and not revealed:
            return {"n": len(state["by"]), "words": []}
        return {"n": len(state["by"]), "words": self._words(state, 40)}

    def presenter_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        if config["hidden_until_reveal"] and not revealed:
            return {"n": len(state["by"]), "words": []}
        return {"n": len(state["by"]), "words": self._words(state, 80)}

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        words = sorted(state["counts"].items(), key=lambda wn: -wn[1])[:200]
        hidden = set(state["hidden"])
        return {
            "n": len(state["by"]),
            "all_words": [{"id": w, "text": w, "n": n, "hidden": w in hidden} for w, n in words],
        }

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        mine = state["by"].get(actor, [])
        return {
            "words": [{"id": w, "text": w} for w in mine],
            "left": config["max_per_person"] - len(mine),
        }

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        return [
            ResultItem(kind="word", text=w["text"], score=w["n"]) for w in self._words(state, 50)
        ]
