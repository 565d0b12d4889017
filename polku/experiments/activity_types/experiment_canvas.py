"""Design experiments in the live workshop: groups fill an experiment canvas together.

Groups: by unit (a participant joins their unit's group), by topic (one group per prioritised
topic from the earlier activity) or facilitator-made (the facilitator adds groups; people join
the one they were told to). Each group's canvas is edited field by field.

Concurrency: **field-level merge with optimistic revisions.** Every field (and every measure
target) has its own revision number; an edit names the revision it was based on (``rev``, held
by the phone from the moment its writer starts typing) and the text that revision had
(``base``). Edits to different fields never conflict. An edit based on an older revision of the
*same* field — however long ago — is merged when no text is lost by it (:func:`merge_text`: the
other writer only appended, the later writer built on the saved text, or the saved text is the
writer's own last save) and otherwise refused with code ``conflict`` and the saved text and its
revision in the error's data, so the later writer's phone shows both texts; nothing is
overwritten silently. The reducer stays pure (no clock, no DB).

Closing (or "save results") turns each canvas with a title into an Experiment of the path
(`after_carry_forward` → `polku.experiments.services.experiments_from_canvas`).

In a group phase of the live room (``config["group"]``) each group's copy holds exactly one
canvas, named after the group and keyed by its id, and every member may write in it without
joining: the room already sends each group only its own copy.
"""

import re
from typing import Annotated, Any, ClassVar

import msgspec
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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
    register,
)
from polku.experiments.services import experiments_from_canvas

GROUPINGS = ("unit", "topic", "assigned")
# field → (max length, required-for-an-experiment)
FIELDS: dict[str, int] = {
    "title": 120,
    "topic": 200,
    "builds_on": 500,
    "what_we_try": 500,
    "who": 300,
    "first_step": 300,
    "first_step_on": 10,
    "duration_weeks": 3,
    "support_needed": 300,
    "contact_email": 254,
}
MAX_GROUPS = 40
MAX_MEASURES = 4
MAX_TARGET = 100_000
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CanvasConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Prompt"), required=False, max_length=300)
    grouping = forms.ChoiceField(
        label=_("Groups"),
        choices=[
            ("unit", _("by unit")),
            ("topic", _("by prioritised topic")),
            ("assigned", _("groups made by the facilitator")),
        ],
    )
    # Measures are chosen from the path's own (never typed here): a typo would silently make a
    # new measure and break the path's roll-up. A new measure is defined on the path's measures
    # page first, where its kind and unit are set too.
    measures = forms.MultipleChoiceField(
        label=_("Measures the groups set targets for"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    takes_path = True  # SlotConfigForm.build passes the agenda item's path

    def __init__(self, *args: Any, path: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.urls import reverse

        from polku.experiments.models import MeasureType

        names = list(
            MeasureType.objects.filter(path=path)
            .order_by("position", "pk")
            .values_list("name", flat=True)
        ) if path is not None else []  # fmt: skip
        by_fold = {n.casefold(): n for n in names}
        current = [
            by_fold.get(str(n).casefold(), str(n)) for n in self.initial.get("measures") or []
        ]
        self.initial["measures"] = current
        choices = [(n, n) for n in names]
        choices += [
            (n, _("%(name)s (not a measure of this path)") % {"name": n})
            for n in current
            if n.casefold() not in by_fold
        ]
        field = self.fields["measures"]
        field.choices = choices
        if path is not None:  # slot_config.html links to it
            self.measures_page_url = reverse(
                "experiments:measure_types", args=[path.organisation.slug, path.pk]
            )
        field.help_text = (
            _("At most %(n)s. A new measure is first added on the path's measures page.")
            % {"n": MAX_MEASURES}
            if names
            else _("This path has no measures yet: add them on the path's measures page first.")
        )

    def clean_measures(self) -> list[str]:
        chosen = self.cleaned_data.get("measures") or []
        if len(chosen) > MAX_MEASURES:
            raise forms.ValidationError(
                ngettext(
                    "Choose at most %(n)s measure.", "Choose at most %(n)s measures.", MAX_MEASURES
                )
                % {"n": MAX_MEASURES}
            )
        return chosen

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["measures_text"] = "\n".join(data.get("measures") or [])  # older configs read it
        return data


def _group(gid: str, name: str, *, unit: int | None = None, topic: str = "") -> dict[str, Any]:
    fields = {f: {"v": "", "r": 0} for f in FIELDS}
    fields["topic"]["v"] = topic
    return {"id": gid, "name": name, "unit": unit, "members": {}, "fields": fields, "targets": {}}


PROSE = frozenset(FIELDS) - {"first_step_on", "duration_weeks", "contact_email"}


def merge_text(*, base: str | None, saved: str, mine: str, limit: int, prose: bool) -> str | None:
    """The text to store when ``mine`` was written on top of ``base`` but the field now holds
    ``saved`` (another writer's save), or None when one of the two texts would be lost.

    Merged: the same text; ``saved`` still equal to ``base``; ``mine`` that starts with
    ``saved`` (its writer built on it). For prose, when both writers only appended to a
    non-empty ``base``: the saved text followed by this writer's addition (unless one addition
    already contains the other)."""
    if mine == saved or (base is not None and base == saved):
        return mine
    if not prose:
        return None
    if saved and mine.startswith(saved):
        return mine
    if not base or not saved.startswith(base) or not mine.startswith(base):
        return None
    theirs, ours = saved[len(base) :].strip(), mine[len(base) :].strip()
    if ours in theirs:
        return saved
    if theirs in ours:
        return mine
    merged = f"{saved} {ours}"
    return merged if len(merged) <= limit else None


def clean_field(field: str, value: Any) -> str:
    """Validate one canvas field; raise Rejected with a message the participant understands."""
    if value is None:
        value = ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    text = clean_text(value, max_length=FIELDS[field], required=False)
    if not text:
        return ""
    if field == "first_step_on" and not DATE.match(text):
        raise Rejected(_("Give the date as a calendar date."), "invalid")
    if field == "duration_weeks" and (not text.isdigit() or not 1 <= int(text) <= 104):
        raise Rejected(_("The duration must be 1–104 weeks."), "invalid")
    if field == "contact_email" and not EMAIL.match(text):
        raise Rejected(_("Check the email address."), "invalid")
    return text


class Join(Shape):
    item: Id | None = None  # a group id, or …
    unit: Int | None = None  # … the participant's unit (grouping by unit)
    name: Text | Int | None = None  # the unit's name (a name of digits arrives as a number)


class Edit(Shape):
    item: Id | None = None
    field: Id | None = None
    rev: Int | None = None
    value: Text | Int | None = None
    base: Text | Int | None = None  # the text of revision ``rev`` as the writer saw it


class Target(Shape):
    item: Annotated[str, msgspec.Meta(max_length=80)] | None = None  # "<group id>|<index>"
    rev: Int | None = None
    value: Int | None = None


class AddGroup(Shape):
    text: Text | None = None
    unit: Int | None = None
    item: Id | None = None


@register
class ExperimentCanvas(ActivityType):
    key = "experiment_canvas"
    label = _("Design experiments")
    description = _("Groups fill an experiment canvas together; closing makes them experiments.")
    inputs: ClassVar[dict[str, type[Shape]]] = {"join": Join, "edit": Edit, "target": Target}
    moderation: ClassVar[dict[str, type[Shape]]] = {"add_group": AddGroup}
    anonymous_by_default = False
    needs_items = True
    config_form = CanvasConfigForm
    default_config: ClassVar[dict[str, Any]] = {
        "grouping": "unit",
        "measures": [],
        "measures_text": "",
        "max_topic_groups": 8,
    }

    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {"groups": {}, "order": [], "member_of": {}}

    def on_open(
        self, state: dict[str, Any], config: dict[str, Any], source_items: list[dict[str, Any]]
    ) -> None:
        room_group = config.get("group")
        if room_group and not state["order"]:  # a group phase: this group's one canvas
            gid = str(room_group["id"])
            topic = str(source_items[0]["text"])[:200] if source_items else ""
            state["groups"][gid] = _group(
                gid, str(room_group["name"])[:80], unit=room_group.get("unit"), topic=topic
            )
            state["order"].append(gid)
            return
        if config.get("grouping") != "topic" or state["order"]:
            return
        for item in source_items[: max(1, min(int(config.get("max_topic_groups") or 8), 20))]:
            gid = f"t{item['id']}"
            text = str(item["text"])[:200]
            state["groups"][gid] = _group(gid, text[:80], topic=text)
            state["order"].append(gid)

    # -- inputs ------------------------------------------------------------------------------
    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        if event.kind == "join":
            self._join(state, event, config)
            return
        gid = state["member_of"].get(event.actor)
        item = event.data.get("item")
        if event.kind == "target":
            if not isinstance(item, str) or "|" not in item:
                raise Rejected(_("No such field."), "invalid")
            gid_target, _sep, index = item.partition("|")
            if gid_target not in state["groups"]:
                raise Rejected(_("No such field."), "invalid")
            self._check_member(gid, gid_target, event, config)
            names = config.get("measures") or []
            if not index.isdigit() or int(index) >= len(names):
                raise Rejected(_("No such field."), "invalid")
            value = event.data.get("value")
            if value is not None and (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not 0 <= value <= MAX_TARGET
            ):
                raise Rejected(
                    _("The target must be a whole number 0–%(max)s.") % {"max": MAX_TARGET},
                    "invalid",
                )
            targets = state["groups"][gid_target]["targets"]
            current = targets.get(index, {"v": None, "r": 0})
            self._check_rev(current, event)
            targets[index] = {"v": value, "r": current["r"] + 1}
            return
        # edit
        field = event.data.get("field")
        if not isinstance(item, str) or item not in state["groups"]:
            raise Rejected(_("No such group."), "invalid")
        self._check_member(gid, item, event, config)
        if field not in FIELDS:
            raise Rejected(_("No such field."), "invalid")
        value = clean_field(field, event.data.get("value"))
        group = state["groups"][item]
        current = group["fields"][field]
        rev = event.data.get("rev")
        if isinstance(rev, bool) or not isinstance(rev, int):
            raise Rejected(_("Invalid value."), "invalid")
        writers = group.setdefault("writers", {})
        own_last = rev == current["r"] - 1 and writers.get(field) == event.actor
        if rev != current["r"] and not own_last:
            value = self._merge(field, current, event, value, item)
        if value == current["v"]:
            return  # nothing changes (the same text, or this writer's text is already in it)
        current["v"], current["r"] = value, current["r"] + 1
        writers[field] = event.actor

    def _merge(
        self, field: str, current: dict[str, Any], event: Event, value: str, item: str
    ) -> str:
        base = event.data.get("base")
        if isinstance(base, int) and not isinstance(base, bool):
            base = str(base)  # a text of digits arrives as a number
        try:
            base = clean_text(base, max_length=2000, required=False) if base is not None else None
        except Rejected:
            base = None  # an unreadable base merges nothing
        merged = merge_text(
            base=base, saved=current["v"], mine=value, limit=FIELDS[field], prose=field in PROSE
        )
        if merged is None:
            raise Rejected(
                _(
                    "Someone in your group saved another text here while you were writing. "
                    "Both texts are below: choose what to keep and save again."
                ),
                "conflict",
                data={"item": item, "field": field, "rev": current["r"], "saved": current["v"]},
            )
        return merged

    def _check_member(
        self, gid: str | None, target: str, event: Event, config: dict[str, Any] | None = None
    ) -> None:
        if event.facilitator:
            return
        if config and config.get("group"):
            return  # a group's own copy: every member of the group writes in its canvas
        if gid != target:
            raise Rejected(_("Join this group first to edit its canvas."), "not_member")

    def _check_rev(self, current: dict[str, Any], event: Event) -> None:
        rev = event.data.get("rev")
        if isinstance(rev, bool) or not isinstance(rev, int):
            raise Rejected(_("Invalid value."), "invalid")
        if rev != current["r"]:
            raise Rejected(
                _("Someone in your group changed this just now. Check the new text and try again."),
                "conflict",
            )

    def _join(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        item = event.data.get("item")
        unit = event.data.get("unit")
        if isinstance(item, str) and item in state["groups"]:
            gid = item
        elif (
            config.get("grouping") == "unit"
            and isinstance(unit, int)
            and not isinstance(unit, bool)
        ):
            gid = f"u{unit}"
            if gid not in state["groups"]:
                if len(state["order"]) >= MAX_GROUPS:
                    raise Rejected(_("There are already enough groups."), "limit")
                name = clean_text(event.data.get("name") or "", max_length=80, required=False)
                state["groups"][gid] = _group(gid, name or "?", unit=unit)
                state["order"].append(gid)
        else:
            raise Rejected(_("No such group."), "invalid")
        old = state["member_of"].get(event.actor)
        if old and old in state["groups"]:
            state["groups"][old]["members"].pop(event.actor, None)
        state["member_of"][event.actor] = gid
        state["groups"][gid]["members"][event.actor] = event.name or ""

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        if action != "add_group":
            raise Rejected(_("Unknown action."), "invalid")
        name = clean_text(data.get("text"), max_length=80)
        if len(state["order"]) >= MAX_GROUPS:
            raise Rejected(_("There are already enough groups."), "limit")
        gid = f"g{len(state['order']) + 1}"
        while gid in state["groups"]:
            gid += "x"
        unit = data.get("unit")
        state["groups"][gid] = _group(
            gid, name, unit=unit if isinstance(unit, int) and not isinstance(unit, bool) else None
        )
        state["order"].append(gid)

    # -- snapshots -----------------------------------------------------------------------------
    def _groups(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        names = config.get("measures") or []
        out = []
        for gid in state["order"]:
            g = state["groups"][gid]
            members = [n for n in g["members"].values() if n]
            fields = g["fields"]
            out.append(
                {
                    "id": gid,
                    "name": g["name"],
                    "n": len(g["members"]),
                    "members": ", ".join(sorted(members))[:300],
                    "f": fields,
                    "m": [
                        {
                            "id": f"{gid}|{i}",
                            "name": name,
                            "v": g["targets"].get(str(i), {}).get("v"),
                            "r": g["targets"].get(str(i), {}).get("r", 0),
                        }
                        for i, name in enumerate(names)
                    ],
                    "filled": sum(1 for f in fields.values() if f["v"]),
                }
            )
        return out

    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        single = bool(config.get("group"))
        groups = self._groups(state, config)
        if single:  # a group's own copy: its one canvas starts open
            for g in groups:
                g["open"] = True
        return {"count": len(state["order"]), "groups": groups, "single": single}

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        gid = state["member_of"].get(actor)
        if config.get("group") and state["order"]:
            gid = state["order"][0]
        group = state["groups"].get(gid) if gid else None
        return {"group": gid, "group_name": group["name"] if group else ""}

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        names = config.get("measures") or []
        items = []
        for gid in state["order"]:
            g = state["groups"][gid]
            values = {f: v["v"] for f, v in g["fields"].items()}
            if not values["title"]:
                continue
            targets = {
                names[int(i)]: t["v"]
                for i, t in g["targets"].items()
                if t["v"] is not None and int(i) < len(names)
            }
            items.append(
                ResultItem(
                    kind="experiment",
                    text=values["title"],
                    unit=g["unit"],
                    data={
                        "group": gid,
                        "group_name": g["name"],
                        "fields": values,
                        "targets": targets,
                        "members": sorted({n for n in g["members"].values() if n})[:30],
                    },
                )
            )
        return items

    def after_carry_forward(
        self, *, slot: Any, state: dict[str, Any], config: dict[str, Any]
    ) -> None:
        experiments_from_canvas(
            slot=slot, canvases=[r.data | {"unit": r.unit} for r in self.results(state, config)]
        )
