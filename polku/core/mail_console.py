"""A console mailer a person can read: `make run` prints every email the worker sends.

Django's console backend prints the raw MIME message: Finnish letters and long links come out
quoted-printable (``=C3=A4``, links broken with ``=`` at 76 characters), so a magic link cannot
be copied from the terminal. This backend prints the decoded headers and the text body.
"""

from __future__ import annotations

from email.message import EmailMessage as MimeMessage
from typing import Any

from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend

RULE = "-" * 79


def readable(message: Any) -> str:
    """The decoded headers (From, To, Cc, Subject) and text parts of one Django email."""
    mime = message.message()
    lines = [f"{name}: {mime[name]}" for name in ("From", "To", "Cc", "Subject") if mime[name]]
    bodies = []
    parts = mime.walk() if mime.is_multipart() else [mime]
    for part in parts:
        if part.get_content_maintype() == "multipart":
            continue
        if part.get_content_type() == "text/plain" and not part.get_filename():
            bodies.append(_text(part))
        else:
            name = part.get_filename() or part.get_content_type()
            bodies.append(f"[{name}]")
    return "\n".join([*lines, "", *bodies])


def _text(part: Any) -> str:
    if isinstance(part, MimeMessage):
        return str(part.get_content()).rstrip("\n")
    payload = part.get_payload(decode=True) or b""
    return payload.decode(part.get_content_charset() or "utf-8", "replace").rstrip("\n")


class EmailBackend(DjangoConsoleBackend):
    def write_message(self, message: Any) -> None:
        self.stream.write(f"{RULE}\n{readable(message)}\n{RULE}\n")
