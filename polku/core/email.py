"""Emails are built when they are sent, from ids: no body, link or token waits in the queue.

An app registers a named builder in its ``AppConfig.ready()``::

    email_kinds.register("organisations.invitation", invitation_email)

A builder takes the ids it was enqueued with and returns an :class:`Email`, a list of them
(one message per recipient), or ``None`` when there is nothing to send any more: the invitation was revoked, the address erased). Builders of
emails with a magic link mint the link's token there and store only its hash, so the raw token
exists only in the message itself — never in the task table, which holds
``{"kind": …, "ids": {…}}`` and is pruned on a schedule (``core.prune_tasks``).

``email_enqueue_on_commit(kind=…, **ids)`` hands the work to the ``send_email`` task after the
transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.mail import EmailMessage
from django.db import transaction
from django.tasks import task
from django.template.loader import render_to_string
from django.utils import translation

Id = int | str


@dataclass
class Email:
    to: list[str]
    subject: Any  # a lazy translation is rendered in ``language``
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    language: str | None = None


Builder = Callable[..., "Email | list[Email] | None"]


class EmailKinds:
    def __init__(self) -> None:
        self._builders: dict[str, Builder] = {}

    def register(self, name: str, builder: Builder) -> Builder:
        existing = self._builders.get(name)
        if existing is not None and existing is not builder:
            raise ValueError(f"email kind {name!r} is already registered")
        self._builders[name] = builder
        return builder

    def __getitem__(self, name: str) -> Builder:
        return self._builders[name]

    def __contains__(self, name: object) -> bool:
        return name in self._builders


email_kinds = EmailKinds()


def email_enqueue_on_commit(*, kind: str, **ids: Id) -> None:
    """Send email ``kind`` (built from ``ids`` by the worker) once the transaction commits."""
    if kind not in email_kinds:
        raise ValueError(f"unknown email kind {kind!r}")
    transaction.on_commit(lambda: send_email.enqueue(kind=kind, ids=dict(ids)))


@task()
def send_email(*, kind: str, ids: dict[str, Id]) -> int:
    """The worker's side: build email ``kind`` from ``ids`` and send it."""
    return email_send(kind=kind, ids=ids)


def email_send(*, kind: str, ids: dict[str, Id]) -> int:
    """Build and send one email now (the ``send_email`` task); returns messages sent."""
    built = email_kinds[kind](**ids)
    emails = built if isinstance(built, list) else [built] if built is not None else []
    sent = 0
    for email in emails:
        if not email.to:
            continue
        with translation.override(email.language or "fi"):
            body = render_to_string(email.template, email.context)
            subject = str(email.subject)
        sent += EmailMessage(subject=subject, body=body, to=list(email.to)).send()
    return sent
