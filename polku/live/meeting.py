"""Video-room links for groups: configuration, not an integration.

An organisation may set a *meeting-link template*: the address of its own video service with
``{room}`` where the room name goes (``https://meet.example.fi/{room}``; a bare base address
gets ``/{room}`` appended). Each group of a workshop day then gets one room whose name is made
from the day, the group and a keyed hash, so nobody can guess another group's room:

    vuosikokous-ryhma-2-5f0c9a1e2b7d4c38

Nothing calls the video service and nothing of it is embedded (the link opens in a new tab),
so the Content-Security-Policy stays ``'self'``. The room name is derived from the server's
secret when it is shown and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.text import slugify
from django.utils.translation import gettext as _

MAX_TEMPLATE = 200
PLACEHOLDER = "{room}"
_HOST = re.compile(r"^https://[A-Za-z0-9.-]+(:[0-9]{1,5})?(/[^\s{}]*)?$")


def template_clean(value: str) -> str:
    """Validate a meeting-link template; returns it normalised ('' means none)."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > MAX_TEMPLATE:
        raise ValidationError(
            _("The address is too long (at most %(n)s characters).") % {"n": MAX_TEMPLATE}
        )
    if value.count(PLACEHOLDER) > 1:
        raise ValidationError(_("Write {room} at most once."))
    if PLACEHOLDER not in value:
        value = value.rstrip("/") + "/" + PLACEHOLDER
    if not _HOST.match(value.replace(PLACEHOLDER, "room")):
        raise ValidationError(
            _(
                "Give the https:// address of your video service, for example https://meet.example.fi/"
            )
        )
    return value


def room_name(*, day_id: int, day_title: str, group_id: str, group_name: str) -> str:
    """An unguessable, readable room name for one group of one workshop day."""
    key = hashlib.sha256(f"polku-meeting-room:{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(key, f"{day_id}:{group_id}".encode(), "sha256").hexdigest()[:16]
    readable = "-".join(p for p in (slugify(day_title)[:30], slugify(group_name)[:24]) if p)
    return f"{readable.strip('-')}-{digest}" if readable else digest


def room_link(template: str, *, day_id: int, day_title: str, group_id: str, group_name: str) -> str:
    if not template:
        return ""
    name = room_name(day_id=day_id, day_title=day_title, group_id=group_id, group_name=group_name)
    return template.replace(PLACEHOLDER, name)
