"""Quick poll: one (or several) of a few options."""

from typing import Annotated, Any, ClassVar

import msgspec
from django import forms
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import ActivityType, Event, Id, Rejected, ResultItem, Shape, register


class PollConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Question"), required=False, max_length=300)
    options_text = forms.CharField(
        label=_("Options, one per line"), widget=forms.Textarea(attrs={"rows": 5})
    )
    multiple = forms.BooleanField(label=_("Several answers allowed"), required=False)
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options = self.initial.get("options")
        if options and not self.initial.get("options_text"):
            self.initial["options_text"] = "\n".join(options)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lines = [line.strip() for line in data.get("options_text", "").splitlines() if line.strip()]
        if not 2 <= len(lines) <= 12:
            raise forms.ValidationError(_("Give 2–12 options."))
        data["options"] = [line[:120] for line in lines]
        return data


def _options(config: dict[str, Any]) -> list[dict[str, Any]]:
    raw = config.get("options") or []
    return [{"id": f"o{i}", "text": str(text)} for i, text in enumerate(raw)]


class Answer(Shape):
    """One option id (radio buttons) or a list of them (check boxes)."""

    choice: Id | Annotated[list[Id], msgspec.Meta(max_length=12)] | None = None
    item: Id | None = None


@register
class Poll(ActivityType):
    key = "poll"
    label = _("Quick poll")
    inputs: ClassVar[dict[str, type[Shape]]] = {"answer": Answer}
    config_form = PollConfigForm
    default_config: ClassVar[dict[str, Any]] = {
        "options": ["Kyllä", "Ei", "En osaa sanoa"],
        "options_text": "",
        "multiple": False,
    }

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"by": {}, "counts": {o["id"]: 0 for o in _options(config)}}

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        choice = event.data.get("choice")
        choices = choice if isinstance(choice, list) else [choice]
        if (
            not choices
            or len(choices) > len(state["counts"])
            or any(c not in state["counts"] for c in choices)
            or len(set(choices)) != len(choices)
            or (len(choices) > 1 and not config["multiple"])
        ):
            raise Rejected(_("Choose one of the options."), "invalid")
        for old in state["by"].get(event.actor, []):
            state["counts"][old] -= 1
        state["by"][event.actor] = choices
        for c in choices:
            state["counts"][c] += 1

    def _results(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        total = max(len(state["by"]), 1)
        return [
            {**o, "n": state["counts"].get(o["id"], 0),
             "pct": round(100 * state["counts"].get(o["id"], 0) / total)}
            for o in _options(config)
        ]  # fmt: skip

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        snap: dict[str, Any] = {
            "options": _options(config),
            "n": len(state["by"]),
            "multiple": config["multiple"],
            "input_type": "checkbox" if config["multiple"] else "radio",
            "shown": False,
        }
        if revealed or not config["hidden_until_reveal"]:
            snap["results"] = self._results(state, config)
            snap["shown"] = True
        return snap

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return {"n": len(state["by"]), "results": self._results(state, config), "shown": True}

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        options = {o["id"]: o["text"] for o in _options(config)}
        return {"answer": ", ".join(options[c] for c in state["by"].get(actor, []))}

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        return [
            ResultItem(kind="answer", text=r["text"], score=float(r["n"]))
            for r in self._results(state, config)
        ]
