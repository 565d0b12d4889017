"""Link tokens: nothing stored is a usable token.

* Emailed and shared-once links (invitations, check-in links, report shares, the workshop
  summary): only ``hash_token(token)`` (sha256 of a high-entropy token) is stored; the token is
  shown or sent once.
* Standing links that staff must be able to see again (a path's calendar feed, a jury's
  published statement and its volunteer sign-up): the row stores a random *link id*, the token
  is ``link id + HMAC(SECRET_KEY, purpose, link id)`` (:func:`link_token`), re-derived whenever
  the page shows the link. The database alone (a dump, a backup) yields no working link;
  replacing the link id revokes the old one.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from django.utils.crypto import constant_time_compare, salted_hmac

LINK_ID_LENGTH = 16  # secrets.token_urlsafe(12)
MAC_LENGTH = 22  # 132 bits of the HMAC, base64url
LINK_TOKEN_LENGTH = LINK_ID_LENGTH + MAC_LENGTH


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link_id() -> str:
    return secrets.token_urlsafe(12)


def link_token(*, purpose: str, link_id: str) -> str:
    mac = salted_hmac(f"polku.link.{purpose}", link_id, algorithm="sha256").digest()
    return link_id + base64.urlsafe_b64encode(mac).decode()[:MAC_LENGTH]


def link_id_of(*, purpose: str, token: str) -> str | None:
    """The link id a token from a URL stands for, or None when it is not a valid token."""
    if not isinstance(token, str) or len(token) != LINK_TOKEN_LENGTH:
        return None
    link_id = token[:LINK_ID_LENGTH]
    if not constant_time_compare(link_token(purpose=purpose, link_id=link_id), token):
        return None
    return link_id
