"""Emails of the juries app, built at send time (see polku.core.email)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from polku.core.email import Email
from polku.juries.models import JuryMember
from polku.juries.services import INVITATION_VALID_DAYS, member_link_mint


def invitation_email(*, member: int) -> Email | None:
    record = (
        JuryMember.objects.select_related("pool_member", "jury__organisation", "jury__path")
        .filter(pk=member, status__in=[JuryMember.Status.INVITED, JuryMember.Status.ACCEPTED])
        .first()
    )
    if record is None or not record.pool_member.email:
        return None  # answered, replaced or erased before the worker got to it
    jury = record.jury
    accepted = record.status == JuryMember.Status.ACCEPTED  # sent again with a new link
    return Email(
        to=[record.pool_member.email],
        subject=_("Your link to the organisation jury")
        if accepted
        else _("You were drawn to the organisation jury"),
        template="juries/email/invitation.txt",
        context={
            "jury": jury,
            "organisation": jury.organisation,
            "name": record.pool_member.name,
            "link": member_link_mint(member=record),
            "sessions": list(jury.sessions.all()),
            "accept_by": timezone.now() + dt.timedelta(days=INVITATION_VALID_DAYS),
            "accepted": accepted,
        },
    )
