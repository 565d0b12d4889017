"""The declared shape of every client → server frame (docs/live-protocol.md).

``parse(raw)`` is the edge of the live room: it decodes one text frame and checks it against
these ``msgspec`` structs (types, lengths, allowed keys) and, for ``input`` and ``moderate``, the
``data`` against the shape the activity type declares for that kind or action. Nothing that
fails here reaches a reducer; the client gets an ``error`` frame with code ``invalid``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec

MAX_FRAME = 8192
MAX_STAFF_FRAME = 8 * MAX_FRAME  # a prepared group list from the console

ClientId = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_.:-]{1,40}$")]
SlotId = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Name = Annotated[str, msgspec.Meta(max_length=40)]
#: a nickname as typed; the room cleans it (≤ 40 characters after normalising)
Nickname = Annotated[str, msgspec.Meta(max_length=200)]
UnitId = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
Attendance = Literal["room", "remote"]
Data = Annotated[dict[str, Any], msgspec.Meta(max_length=200)]


class Frame(msgspec.Struct, tag_field="t", forbid_unknown_fields=True):
    pass


class Join(Frame, tag="join"):
    v: int = 1
    lang: Annotated[str, msgspec.Meta(max_length=8)] = ""
    name: Nickname = ""
    unit: UnitId | None = None
    token: Annotated[str, msgspec.Meta(max_length=120)] | None = None
    attendance: Attendance | None = None


class Input(Frame, tag="input"):
    id: ClientId
    slot: SlotId
    kind: Name
    data: Data


class Profile(Frame, tag="profile"):
    id: ClientId | None = None
    name: Nickname = ""
    unit: UnitId | None = None
    attendance: Attendance | None = None


class ControlData(msgspec.Struct, forbid_unknown_fields=True):
    seconds: Annotated[int, msgspec.Meta(ge=0, le=7200)] | None = None
    item: Annotated[str, msgspec.Meta(max_length=64)] | None = None  # the button's agenda row


class Control(Frame, tag="control"):
    id: ClientId
    slot: SlotId
    action: Name
    data: ControlData | None = None


class Moderate(Frame, tag="moderate"):
    id: ClientId
    slot: SlotId
    action: Name
    data: Data | None = None


class Suggest(Frame, tag="suggest"):
    """Console: grouping suggestions for a card wall (docs/grouping.md); ``cards`` limits
    them to some cards (splitting one proposal)."""

    id: ClientId
    slot: SlotId
    level: Annotated[int, msgspec.Meta(ge=-10, le=10)] = 0
    cards: (
        Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=5000)]
        | None
    ) = None


class Select(Frame, tag="select"):
    slot: SlotId | None = None


class Ping(Frame, tag="ping"):
    pass


class Group(Frame, tag="group"):
    """Groups (protocol 1.1): the console splits, moves, messages and ends; a phone picks.
    ``data`` is checked per action by ``engine.groups`` and ``polku.live.groups``."""

    id: ClientId
    action: Name
    slot: SlotId | None = None
    data: Data | None = None


class Watch(Frame, tag="watch"):
    """A participant's page shows (or hides) its screen pane."""

    screen: bool = False


AnyFrame = Join | Input | Profile | Control | Moderate | Suggest | Select | Ping | Group | Watch
_decoder = msgspec.json.Decoder(AnyFrame)


class FrameError(Exception):
    """The frame could not be read: ``code`` (``too_large`` or ``invalid``), ``detail`` (where,
    in English, for developers) and the client id when one could be read."""

    def __init__(self, code: str, detail: str, client_id: str | None = None) -> None:
        super().__init__(detail)
        self.code, self.detail, self.client_id = code, detail, client_id


def _client_id(raw: str | bytes) -> str | None:
    try:
        msg = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    cid = msg.get("id") if isinstance(msg, dict) else None
    if isinstance(cid, str) and len(cid) <= 40:
        return cid
    return None


def parse(raw: str | bytes, *, limit: int = MAX_FRAME) -> AnyFrame:
    """The frame as a typed struct, or :class:`FrameError`."""
    if len(raw) > limit:
        raise FrameError("too_large", f"frame longer than {limit} bytes")
    try:
        return _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise FrameError("invalid", str(exc), _client_id(raw)) from None
    except msgspec.DecodeError as exc:
        raise FrameError("invalid", str(exc)) from None
