import pytest

from polku.core.tests.factories import WorkshopDayFactory
from polku.live.services import workshop_day_set_status
from polku.reports.models import WorkshopSummary

pytestmark = pytest.mark.django_db


def test_closing_a_workshop_day_makes_its_summary_once(django_capture_on_commit_callbacks):
    day = WorkshopDayFactory(status="live")
    with django_capture_on_commit_callbacks(execute=True):
        workshop_day_set_status(day=day, status="closed")
    assert WorkshopSummary.objects.filter(workshop_day=day).count() == 1
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        workshop_day_set_status(day=day, status="closed")
    assert callbacks == []


def test_opening_a_workshop_day_makes_no_summary(django_capture_on_commit_callbacks):
    day = WorkshopDayFactory(status="planned")
    with django_capture_on_commit_callbacks(execute=True):
        workshop_day_set_status(day=day, status="live")
    assert WorkshopSummary.objects.filter(workshop_day=day).count() == 0
