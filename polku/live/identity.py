"""Participant identity: a signed random token in a cookie; the server stores only its hash.

* ``token_new(code)`` → ``"<random>:<signature>"``, signed for one join code; a token without
  our signature for this code is rejected (forged, truncated or from another workshop) before
  the database is touched. Only the participant page (``GET /j/<CODE>/``) issues tokens, as a
  cookie: one per browser, and a websocket without one is refused.
* ``token_hash(token)`` is what ``Participant.token_hash`` stores.
* ``actor_for(...)`` is the identity an activity sees. Named activities use ``p`` + the
  start of the stored token hash. Anonymous activities use ``a`` + HMAC(SECRET_KEY, slot id + raw token): stable for one
  person within one activity (dot budget, idempotent resends, "my cards" after a reconnect) but
  not linkable to the participant, to their other activities or to the stored token hash —
  computing it needs the raw token, which only the participant's cookie holds.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings
from django.core import signing

COOKIE_PREFIX = "polku_p_"
_SALT = "polku.live.participant"
STAFF_SALT = "polku.live.staff"


def cookie_name(code: str) -> str:
    return f"{COOKIE_PREFIX}{code.upper()}"


def _signer(code: str, key: str | None = None) -> signing.Signer:
    return signing.Signer(key=key, salt=f"{_SALT}:{code.upper()}")


def token_new(code: str, *, key: str | None = None) -> str:
    """A new participant token for this join code (``key``: another server's SECRET_KEY, for
    the benchmark's simulated phones)."""
    return _signer(code, key).sign(secrets.token_urlsafe(18))


def token_valid(token: object, code: str) -> bool:
    if not isinstance(token, str) or len(token) > 120:
        return False
    try:
        _signer(code).unsign(token)
    except signing.BadSignature:
        return False
    return True


def token_hash(token: str) -> str:
    return hashlib.sha256(f"polku-participant:{token}".encode()).hexdigest()


def _key(purpose: str) -> bytes:
    return hashlib.sha256(f"{purpose}:{settings.SECRET_KEY}".encode()).digest()


def actor_for(*, slot_id: int, anonymous: bool, participant_key: str, token: str) -> str:
    """``participant_key`` is the stored token hash (named activities only)."""
    if not anonymous:
        return f"p{participant_key[:24]}"
    digest = hmac.new(_key("polku-anon-actor"), f"{slot_id}:{token}".encode(), "sha256")
    return "a" + digest.hexdigest()[:24]


def member_key(token_hash: str) -> str:
    """How the group events of a room name a participant: a keyed hash of the stored token
    hash, so the event log cannot be joined to the participant table without the secret."""
    digest = hmac.new(_key("polku-group-member"), token_hash.encode(), "sha256")
    return digest.hexdigest()[:16]


def return_key(*, path_id: int, secret: str) -> str:
    """Keyed hash of an opted-in email or return code, scoped to one path."""
    normalised = " ".join(secret.strip().lower().split())
    digest = hmac.new(_key("polku-return"), f"{path_id}:{normalised}".encode(), "sha256")
    return digest.hexdigest()


def staff_key(*, day_id: int, role: str, user_id: int) -> str:
    return signing.TimestampSigner(salt=STAFF_SALT).sign(f"{day_id}:{role}:{user_id}")


def staff_key_check(key: str, *, day_id: int, role: str) -> int | None:
    """The user id in a valid console/screen key for this day and role, else None."""
    try:
        value = signing.TimestampSigner(salt=STAFF_SALT).unsign(key, max_age=60 * 60 * 24)
    except (signing.BadSignature, TypeError):
        return None
    day, key_role, user_id = value.split(":")
    if day != str(day_id) or key_role != role:
        return None
    return int(user_id)
