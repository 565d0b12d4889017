"""Django's database sessions, keyed by a hash of the session key.

The cookie holds the session key; the ``django_session`` table holds only
``session_key_hash(key)`` — a dump or a backup of the table logs nobody in (docs/security.md).
Everything else is Django's own database backend (``SESSION_ENGINE``).
"""

from __future__ import annotations

import hashlib

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils import timezone


def session_key_hash(session_key: str) -> str:
    """What the table stores for a session key: 40 hex characters (the column's width) of
    sha256; the key itself has 190 random bits."""
    return hashlib.sha256(f"polku-session:{session_key}".encode()).hexdigest()[:40]


class SessionStore(DatabaseSessionStore):
    def _get_session_from_db(self):  # type: ignore[no-untyped-def]
        if self.session_key is None:
            return None
        try:
            return self.model.objects.get(
                session_key=session_key_hash(self.session_key), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    async def _aget_session_from_db(self):  # type: ignore[no-untyped-def]
        if self.session_key is None:
            return None
        try:
            return await self.model.objects.aget(
                session_key=session_key_hash(self.session_key), expire_date__gt=timezone.now()
            )
        except self.model.DoesNotExist:
            self._session_key = None
            return None

    def exists(self, session_key: str) -> bool:
        return self.model.objects.filter(session_key=session_key_hash(session_key)).exists()

    async def aexists(self, session_key: str) -> bool:
        return await self.model.objects.filter(session_key=session_key_hash(session_key)).aexists()

    def create_model_instance(self, data):  # type: ignore[no-untyped-def]
        obj = super().create_model_instance(data)
        obj.session_key = session_key_hash(obj.session_key)
        return obj

    async def acreate_model_instance(self, data):  # type: ignore[no-untyped-def]
        obj = await super().acreate_model_instance(data)
        obj.session_key = session_key_hash(obj.session_key)
        return obj

    def delete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        self.model.objects.filter(session_key=session_key_hash(session_key)).delete()

    async def adelete(self, session_key: str | None = None) -> None:
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        await self.model.objects.filter(session_key=session_key_hash(session_key)).adelete()
