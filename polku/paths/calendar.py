"""iCalendar (.ics) for workshop days: one event per day, and a subscribable feed per path."""

from collections.abc import Iterable

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from polku.paths.models import Path
from polku.workshops.models import WorkshopDay


def _event(day: WorkshopDay, path: Path) -> Event:
    event = Event()
    event.add("uid", f"workshop-day-{day.pk}@polku")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", timezone.localtime(day.starts_at))
    event.add("dtend", timezone.localtime(day.ends_at))
    event.add("summary", f"{path.name}: {day.title}")
    location = day.place or day.video_link
    if location:
        event.add("location", location)
    description = [path.goal] if path.goal else []
    if day.video_link:
        description.append(day.video_link)
    description.append(f"{settings.POLKU_BASE_URL}/j/{day.join_code}")
    event.add("description", "\n\n".join(description))
    return event


def calendar_ics(*, path: Path, days: Iterable[WorkshopDay]) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Polku//polku//FI")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", path.name)
    for day in days:
        cal.add_component(_event(day, path))
    cal.add_missing_timezones()
    return cal.to_ical()
