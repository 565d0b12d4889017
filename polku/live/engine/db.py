"""The one database thread of the live rooms."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django import db

_db_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="polku-live-db")


def _db_call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    """Run in the one live-room database thread. Its connection stays open between batches
    (no reconnect per batch); a broken connection is closed and the call retried once."""
    try:
        return fn(**kwargs)
    except (db.InterfaceError, db.OperationalError):
        db.connection.close()
        return fn(**kwargs)


async def run_db(fn: Callable[..., Any], **kwargs: Any) -> Any:
    """Database work of the rooms: one writer thread for all rooms of the process (SQLite has
    one writer anyway), off the event loop and off Django's per-request threads."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_db_executor, _db_call, fn, kwargs)
