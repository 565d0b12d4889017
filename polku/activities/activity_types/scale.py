"""Scale: one number on a scale (e.g. 1–5, 0–10); distribution and mean."""

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from polku.activities.registry import (
    ActivityType,
    Event,
    Id,
    Int,
    ResultItem,
    Shape,
    int_arg,
    register,
)


class ScaleConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Question"), required=False, max_length=300)
    low = forms.IntegerField(label=_("Lowest value"), min_value=0, max_value=10)
    high = forms.IntegerField(label=_("Highest value"), min_value=1, max_value=10)
    low_label = forms.CharField(
        label=_("Label for the lowest value"), required=False, max_length=40
    )
    high_label = forms.CharField(
        label=_("Label for the highest value"), required=False, max_length=40
    )
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)


class Rate(Shape):
    value: Int | None = None
    item: Id | None = None


@register
class Scale(ActivityType):
    key = "scale"
    label = _("Scale")
    inputs: ClassVar[dict[str, type[Shape]]] = {"rate": Rate}
    config_form = ScaleConfigForm
    default_config: ClassVar[dict[str, Any]] = {
        "low": 1,
        "high": 5,
        "low_label": "",
        "high_label": "",
    }

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"by": {}}

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        state["by"][event.actor] = int_arg(
            event.data, "value", low=int(config["low"]), high=int(config["high"])
        )

    def _dist(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        values = list(state["by"].values())
        counts = dict.fromkeys(range(int(config["low"]), int(config["high"]) + 1), 0)
        for v in values:
            counts[v] = counts.get(v, 0) + 1
        top = max([*counts.values(), 1])
        mean = round(sum(values) / len(values), 1) if values else None
        return {
            "n": len(values),
            "mean": mean,
            "results": [
                {"id": str(v), "text": str(v), "n": n, "pct": round(100 * n / top)}
                for v, n in counts.items()
            ],
        }

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        values = [
            {"id": str(v), "text": str(v)}
            for v in range(int(config["low"]), int(config["high"]) + 1)
        ]
        snap: dict[str, Any] = {
            "values": values,
            "low_label": config["low_label"],
            "high_label": config["high_label"],
            "n": len(state["by"]),
            "shown": False,
        }
        if revealed or not config["hidden_until_reveal"]:
            snap.update(self._dist(state, config), shown=True)
        return snap

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return {**self._dist(state, config), "shown": True}

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        return {"value": state["by"].get(actor)}

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        dist = self._dist(state, config)
        return [ResultItem(kind="scale", text=str(dist["mean"]), score=dist["mean"], data=dist)]
