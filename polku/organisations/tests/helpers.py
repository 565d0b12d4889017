"""Test helpers: an invitation as the invitee receives it (the token is only in the email)."""

import re

from django.core import mail
from django.test import TestCase

from polku.organisations.models import Invitation
from polku.organisations.services import invitation_create


def invite(**kwargs) -> tuple[Invitation, str]:
    """``invitation_create`` with its email sent; returns the invitation and the link's token."""
    before = len(mail.outbox)
    with TestCase.captureOnCommitCallbacks(execute=True):
        invitation = invitation_create(**kwargs)
    assert len(mail.outbox) == before + 1
    token = re.search(r"/invitation/([^/\s]+)/", mail.outbox[-1].body).group(1)
    invitation.refresh_from_db()
    return invitation, token
