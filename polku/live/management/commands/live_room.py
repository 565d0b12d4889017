"""Create a live workshop day ready for phones (for benchmarks, browser tests and demos).

Prints one JSON line: code, day id, agenda slot ids and console/screen keys.
"""

import datetime as dt
import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from polku.accounts.models import User
from polku.live import identity
from polku.organisations.models import Membership, Organisation, Unit
from polku.paths.models import Path
from polku.workshops.models import AgendaSlot, WorkshopDay


class Command(BaseCommand):
    help = "Create a live workshop day with a topics → dot_vote agenda; print its keys as JSON."

    def add_arguments(self, parser):
        parser.add_argument("--code", default="BENCH2")
        parser.add_argument("--activities", default="topics,dot_vote")
        parser.add_argument("--email", default="live-facilitator@polku.example")
        parser.add_argument("--password", default="polku-live")

    def handle(self, *args, code, activities, email, password, **options):
        org, _ = Organisation.objects.get_or_create(
            slug="live-room", defaults={"name": "Live Room ry"}
        )
        user = User.objects.filter(email=email).first() or User.objects.create_user(
            email=email, password=password, name="Live Facilitator"
        )
        Membership.objects.get_or_create(
            user=user, organisation=org, defaults={"role": Membership.Role.FACILITATOR}
        )
        units = [
            Unit.objects.get_or_create(organisation=org, code=f"U{i}", defaults={"name": name})[0]
            for i, name in enumerate(["Tampereen osasto", "Turun osasto", "Oulun osasto"])
        ]
        path, _ = Path.objects.get_or_create(
            organisation=org,
            name="Live-polku",
            defaults={
                "starts_on": timezone.localdate(),
                "ends_on": timezone.localdate() + dt.timedelta(days=90),
            },
        )
        path.units.set(units)
        WorkshopDay.objects.filter(join_code=code).delete()
        now = timezone.now()
        day = WorkshopDay.objects.create(
            path=path, title="Live-työpaja", starts_at=now, ends_at=now + dt.timedelta(hours=6),
            join_code=code, status=WorkshopDay.Status.LIVE,
        )  # fmt: skip
        slots = [
            AgendaSlot.objects.create(workshop_day=day, position=i, title=key, activity_type=key)
            for i, key in enumerate(activities.split(","))
        ]
        print(
            json.dumps(
                {
                    "code": code,
                    "org": org.slug,
                    "path": path.pk,
                    "day": day.pk,
                    "slots": {s.activity_type: s.pk for s in slots},
                    "console_key": identity.staff_key(
                        day_id=day.pk, role="console", user_id=user.pk
                    ),
                    "screen_key": identity.staff_key(day_id=day.pk, role="screen", user_id=user.pk),
                }
            )
        )
