"""Hooks of the organisations app (see polku.core.hooks).

``membership_changed(organisation_id=…, user_id=…)`` is called after the commit of every change
to who may do what in an organisation: a membership removed, a role changed, an invitation
accepted. The live rooms register with it to close the console and projector sockets of someone
who lost the right to run a workshop.
"""

from polku.core.hooks import Hook

membership_changed = Hook("organisations.membership_changed")
