"""The activity registry: every live-room activity type is one plug-in module.

An activity type is a subclass of :class:`ActivityType` decorated with :func:`register`.
Any installed app contributes activity types by adding modules to its ``activity_types``
package (or a single ``activity_types.py`` module); :func:`autodiscover` imports them all in
``ActivitiesConfig.ready()``, so adding an activity type touches one new module and nothing else.
See ``docs/new-activity.md`` for the tutorial.

The live engine (``polku.live``) owns sockets, persistence and fan-out. An activity type is pure
logic over a JSON-able ``state`` dict:

* ``initial_state(config)`` builds the state; ``on_open(state, config, source_items)`` seeds it
  when the facilitator opens the activity (the seed is logged, so replay is deterministic);
* ``open_data(slot=…)`` (optional) reads what the activity needs from the path each time the
  facilitator opens it (runs in the database thread; logged with the open event) and
  ``on_open_data(state, config, data)`` puts it into the state;
* ``reduce(state, event, config)`` applies one participant input; it must **check first and
  mutate after** and raise :class:`Rejected` with a translated message for bad input;
* ``moderate(state, action, data, config)`` applies one facilitator action (hide, edit, merge,
  group …), the same rule;
* ``public_snapshot`` / ``presenter_snapshot`` / ``personal`` serialise what phones, the
  projector and one participant may see (``revealed`` tells whether hidden results may show);
* ``results(state, config)`` lists what is carried forward to the path.

Every input kind and moderation action declares the shape of its ``data`` (``inputs`` and
``moderation``: kind → a :class:`Shape`, a ``msgspec`` struct with types, lengths and the allowed
keys). The live room validates each frame against it before any reducer sees it, so a reducer may
trust the types it reads (a list where a string belongs never reaches it).
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar

import msgspec
from django import forms
from django.apps import apps
from django.utils.functional import Promise
from django.utils.module_loading import module_has_submodule
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ActivityType",
    "Event",
    "GroupCopy",
    "Id",
    "Rejected",
    "ResultItem",
    "Shape",
    "Text",
    "autodiscover",
    "clean_text",
    "register",
    "registry",
]


class Rejected(Exception):
    """An input or action the activity refuses; ``message`` is shown to the participant.

    ``data`` (JSON-able, optional) goes with the error frame to the sender, e.g. the saved text
    a ``conflict`` was about, so the phone can show both texts."""

    def __init__(
        self, message: Promise | str, code: str = "rejected", data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(str(message))
        self.message = message
        self.code = code
        self.data = data


@dataclass(frozen=True)
class Event:
    """One input as the reducer sees it.

    ``actor`` is stable per person *within this activity*. For anonymous activities it is a
    keyed pseudonym that cannot be linked to the participant (see docs/live-protocol.md);
    ``name`` and ``unit`` are then empty/None.
    """

    kind: str
    data: dict[str, Any]
    actor: str
    id: str = ""  # stable short id derived from (actor, client id): use it for new cards
    name: str = ""
    unit: int | None = None
    facilitator: bool = False


@dataclass
class ResultItem:
    """One thing an activity hands forward to the path (a prioritised topic, a practice …)."""

    kind: str  # "topic", "theme", "what_works", "vote", "answer" …
    text: str
    score: float | None = None
    unit: int | None = None
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class GroupCopy:
    """One group's own copy of an activity during a group phase (the live room holds one state
    per group; see docs/new-activity.md, "Groups"). ``config`` is the slot's configuration
    plus ``config["group"] = {"id", "name", "unit"}``."""

    id: str
    name: str
    state: dict[str, Any]
    config: dict[str, Any]


MAX_TEXT = 280
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def clean_text(value: Any, *, max_length: int = MAX_TEXT, required: bool = True) -> str:
    """Normalise participant text: NFC, no control characters, collapsed whitespace.

    HTML is *not* stripped here: it is stored as typed and escaped wherever it is shown.
    """
    if not isinstance(value, str):
        raise Rejected(_("Text expected."), "invalid")
    text = unicodedata.normalize("NFC", value)
    if _CONTROL.search(text):
        raise Rejected(_("The text contains characters that are not allowed."), "invalid")
    text = " ".join(text.split())
    if required and not text:
        raise Rejected(_("Write something first."), "empty")
    if len(text) > max_length:
        raise Rejected(
            _("The text is too long (at most %(n)s characters).") % {"n": max_length}, "too_long"
        )
    return text


def int_arg(data: dict[str, Any], name: str, *, low: int, high: int) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Rejected(_("Invalid value."), "invalid")
    return value


ITEMS_FROM_CHOICES = [
    ("groups", _("Groups, and cards not in a group")),
    ("groups_only", _("Groups only")),
    ("cards", _("Every card on its own")),
]


class Shape(msgspec.Struct, forbid_unknown_fields=True):
    """The declared shape of one input's or action's ``data``: only these keys, these types.

    Lengths here are generous upper bounds (what a reducer should never have to look at); the
    reducer still gives the precise, translated message ("at most 200 characters")."""


#: a text a person typed (the reducer enforces the activity's own, smaller limit)
Text = Annotated[str, msgspec.Meta(max_length=2000)]
#: an item, card, group, option or theme id
Id = Annotated[str, msgspec.Meta(max_length=64)]
#: an integer that fits in a database column
Int = Annotated[int, msgspec.Meta(ge=-(2**53), le=2**53)]


class Empty(Shape):
    """No data (only the id of the item the button belongs to)."""

    item: Id | None = None


class ShapeError(Exception):
    """``data`` does not have the declared shape; ``detail`` says where (for developers)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def check_shape(shape: Any, data: Any) -> None:
    """``shape`` is a :class:`Shape` subclass or any type ``msgspec`` validates against."""
    try:
        msgspec.convert(data, shape)
    except msgspec.ValidationError as exc:
        raise ShapeError(str(exc)) from None


class ActivityType:
    """Base class. Override what differs; the defaults give a card wall with moderation."""

    key: ClassVar[str] = ""
    label: ClassVar[Promise | str] = ""
    description: ClassVar[Promise | str] = ""
    #: input kind → the shape of its data; any other kind is rejected before ``reduce``.
    inputs: ClassVar[Mapping[str, Any]] = {}
    #: facilitator action offered in the console (handled by ``moderate``) → its data's shape.
    moderation: ClassVar[Mapping[str, Any]] = {}
    #: the keys of ``inputs`` and ``moderation`` (set for every subclass)
    input_kinds: ClassVar[frozenset[str]] = frozenset()
    moderation_actions: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.input_kinds = frozenset(cls.inputs)
        cls.moderation_actions = frozenset(cls.moderation)

    #: may participants' nicknames be shown? (config key ``anonymous`` overrides per slot)
    anonymous_by_default: ClassVar[bool] = True
    #: results hidden from phones and projector until the facilitator reveals them?
    hidden_until_reveal_by_default: ClassVar[bool] = False
    #: does this activity offer its items (cards/themes) to later activities (votes, circles)?
    provides_items: ClassVar[bool] = False
    #: does it want items from an earlier activity of the day when it opens?
    needs_items: ClassVar[bool] = False
    #: does the console offer grouping suggestions for its cards (``grouping_cards``)?
    groupable: ClassVar[bool] = False
    config_form: ClassVar[type[forms.Form] | None] = None
    default_config: ClassVar[dict[str, Any]] = {}

    # Templates: rendered once per language when the activity changes, then bound to
    # snapshots by the tiny client (see docs/new-activity.md, "Templates").
    @property
    def participant_template(self) -> str:
        return f"activities/participant/{self.key}.html"

    @property
    def presenter_template(self) -> str:
        return f"activities/presenter/{self.key}.html"

    @property
    def console_template(self) -> str:
        return f"activities/console/{self.key}.html"

    # -- configuration -------------------------------------------------------------------
    def get_config(self, raw: dict[str, Any] | None) -> dict[str, Any]:
        config = {
            "anonymous": self.anonymous_by_default,
            "hidden_until_reveal": self.hidden_until_reveal_by_default,
            "prompt": "",
            **self.default_config,
        }
        for name, value in (raw or {}).items():
            if name in config and (type(value) is type(config[name]) or config[name] is None):
                config[name] = value
        return config

    # -- the edge --------------------------------------------------------------------------
    def check_input(self, kind: str, data: Any) -> None:
        """Raise :class:`ShapeError` unless ``data`` has the declared shape of ``kind``."""
        check_shape(self.inputs[kind], data)

    def check_moderation(self, action: str, data: Any) -> None:
        check_shape(self.moderation[action], data)

    # -- state ---------------------------------------------------------------------------
    def initial_state(self, config: dict[str, Any]) -> dict[str, Any]:
        return {}

    def on_open(
        self, state: dict[str, Any], config: dict[str, Any], source_items: list[dict[str, Any]]
    ) -> None:
        """Seed the state when the activity opens (``source_items`` from an earlier activity)."""

    #: does it read data from the database when it opens (``open_data``)?
    reads_on_open: ClassVar[bool] = False
    #: moderation actions that get the server's clock as ``data["now"]`` (seconds since the
    #: epoch, logged with the event, so the reducer stays deterministic): e.g. a speaking timer
    clock_actions: ClassVar[frozenset[str]] = frozenset()

    def open_data(self, *, slot: Any) -> dict[str, Any]:
        """What the activity reads from the path each time the facilitator opens it (e.g. the
        report-back's experiment cards). Runs in the live room's database thread with the
        AgendaSlot (``slot.workshop_day.path``); JSON-able. The result is stored in the open
        event, so a replay rebuilds the same state. Set ``reads_on_open = True`` to use it."""
        return {}

    def on_open_data(
        self, state: dict[str, Any], config: dict[str, Any], data: dict[str, Any]
    ) -> None:
        """Put what ``open_data`` read into the state (pure; on every open)."""

    def reduce(self, state: dict[str, Any], event: Event, config: dict[str, Any]) -> None:
        raise Rejected(_("This activity takes no input."), "invalid")

    def moderate(
        self, state: dict[str, Any], action: str, data: dict[str, Any], config: dict[str, Any]
    ) -> None:
        raise Rejected(_("Unknown action."), "invalid")

    # -- serialisation -------------------------------------------------------------------
    def public_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        return {}

    def presenter_snapshot(
        self, state: dict[str, Any], config: dict[str, Any], revealed: bool
    ) -> dict[str, Any]:
        return self.public_snapshot(state, config, revealed)

    def console_snapshot(self, state: dict[str, Any], config: dict[str, Any]) -> dict[str, Any]:
        return self.presenter_snapshot(state, config, True)

    def personal(self, state: dict[str, Any], actor: str, config: dict[str, Any]) -> dict[str, Any]:
        """What one participant sees of their own inputs (restored after reconnect)."""
        return {}

    def items(self, state: dict[str, Any], config: dict[str, Any]) -> list[dict[str, Any]]:
        """Items offered to later activities: ``[{"id": str, "text": str}]``."""
        return []

    def items_for(
        self, state: dict[str, Any], config: dict[str, Any], granularity: str
    ) -> list[dict[str, Any]]:
        """Items for a later activity whose ``items_from`` config asks for ``granularity``
        (``groups``: groups and loose cards, ``groups_only``, ``cards``); default ``items``."""
        return self.items(state, config)

    def grouping_cards(self, state: dict[str, Any]) -> list[tuple[str, str]]:
        """``[(card id, text)]`` a grouping suggestion may place (``groupable`` types)."""
        return []

    def results(self, state: dict[str, Any], config: dict[str, Any]) -> list[ResultItem]:
        return []

    def carry_forward(
        self,
        *,
        slot: Any,
        state: dict[str, Any],
        config: dict[str, Any],
        groups: list[GroupCopy] | None = None,
    ) -> None:
        """Save the results to the path; runs in a database thread when the facilitator closes
        the activity or presses "Save results to the path" (``slot`` is the AgendaSlot, with
        ``slot.workshop_day.path``). Override to also write your app's own models (e.g. draft
        experiments); call ``super().carry_forward(...)`` to keep the ActivityResult rows.

        When the activity ran in groups, ``groups`` holds each group's copy: the results of
        every group are saved, labelled with the group (``data["group_name"]``), and
        ``after_carry_forward`` runs once per group copy."""
        from polku.activities.services import results_carry_forward

        results_carry_forward(slot=slot, activity=self, state=state, config=config, groups=groups)


class Registry:
    def __init__(self) -> None:
        self._types: dict[str, ActivityType] = {}

    def register(self, cls: type[ActivityType]) -> type[ActivityType]:
        if not cls.key or not re.fullmatch(r"[a-z][a-z0-9_]{1,39}", cls.key):
            raise ValueError(f"activity type {cls.__name__} needs a key like 'dot_vote'")
        existing = self._types.get(cls.key)
        if existing is not None and type(existing).__qualname__ != cls.__qualname__:
            raise ValueError(f"activity type key {cls.key!r} is already registered")
        self._types[cls.key] = cls()
        return cls

    def get(self, key: str) -> ActivityType | None:
        return self._types.get(key)

    def __getitem__(self, key: str) -> ActivityType:
        return self._types[key]

    def __contains__(self, key: object) -> bool:
        return key in self._types

    def __iter__(self) -> Iterator[str]:
        return iter(self._types)

    def items(self) -> list[tuple[str, ActivityType]]:
        return list(self._types.items())


registry = Registry()
register = registry.register


def autodiscover() -> None:
    """Import every installed app's ``activity_types`` module or package (all submodules)."""
    for app_config in apps.get_app_configs():
        if not module_has_submodule(app_config.module, "activity_types"):
            continue
        module = importlib.import_module(f"{app_config.name}.activity_types")
        if hasattr(module, "__path__"):
            for info in pkgutil.iter_modules(module.__path__):
                if not info.name.startswith("_"):
                    importlib.import_module(f"{module.__name__}.{info.name}")
