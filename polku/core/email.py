from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from polku.core.tasks import send_email


def email_enqueue_on_commit(
    *, to: list[str], subject: str, template: str, context: dict, language: str | None = None
) -> None:
    """Render an email now (in `language`) and hand it to the task worker after commit."""
    with translation.override(language or translation.get_language()):
        body = render_to_string(template, context)
        subject_text = str(subject)
    transaction.on_commit(lambda: send_email.enqueue(subject=subject_text, body=body, to=list(to)))
