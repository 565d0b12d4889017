import pytest

from polku.core.demo import load_demo
from polku.juries.models import Draw, Jury, JuryMember
from polku.juries.services import audit_verify

pytestmark = pytest.mark.django_db


def test_demo_builds_health_centre_jury_with_drawn_panel_and_responses():
    assert load_demo() is True
    jury = Jury.objects.get(organisation__slug="kuusiniemen-terveysasema")
    assert jury.pool.count() == 60
    draw = Draw.objects.get(jury=jury, voided_at__isnull=True)
    assert draw.panel_index is not None
    assert jury.members.filter(status=JuryMember.Status.ACCEPTED).count() == 12
    assert jury.members.filter(status=JuryMember.Status.DECLINED).count() == 1
    assert jury.recommendations.count() == 3
    assert jury.recommendations.filter(response__isnull=False).count() == 2
    assert audit_verify(jury=jury) == (True, None)
