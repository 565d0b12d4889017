import pytest

from polku.core.demo import load_demo
from polku.organisations.models import Organisation, Unit
from polku.paths.models import Path

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent_and_models_the_cases():
    assert load_demo() is True
    counts = (Organisation.objects.count(), Unit.objects.count(), Path.objects.count())
    assert load_demo() is False
    assert (Organisation.objects.count(), Unit.objects.count(), Path.objects.count()) == counts
    youth = Organisation.objects.get(slug="nuoret-auttajat")
    assert youth.units.filter(kind=Unit.Kind.LOCAL).count() == 12
    path = youth.paths.get()
    assert path.template == "half_year"
    assert path.units.count() == 12
    kickoff = path.workshop_days.order_by("starts_at").first()
    assert kickoff.status == "closed"
    assert kickoff.participants.count() == 100
    assert sorted(youth.units.filter(kind=Unit.Kind.LOCAL).values_list("name", flat=True))[:3] == [
        "Espoon osasto",
        "Helsingin osasto",
        "Joensuun osasto",
    ]
    assert path.workshop_days.count() == 3
    patient_path = Organisation.objects.get(slug="sydanystavat").paths.get()
    assert patient_path.template == "one_day"
    assert patient_path.workshop_days.get().mode == "hybrid"
    assert Organisation.objects.filter(slug="kuusiniemen-terveysasema").exists()
