from decimal import Decimal

import pytest

from polku.core.demo import YOUTH_ORG, load_demo
from polku.experiments import selectors
from polku.experiments.models import Experiment
from polku.paths.models import Path

pytestmark = pytest.mark.django_db


def test_demo_rollup_is_exactly_350_reached_and_45_stayed():
    load_demo()
    path = Path.objects.get(organisation__slug=YOUTH_ORG)
    totals = {row.measure_type.name: row.total for row in selectors.path_rollup(path=path)}
    assert totals == {
        "uusia nuoria tavoitettu": Decimal(350),
        "jäi mukaan vapaaehtoiseksi": Decimal(45),
    }


def test_demo_tells_the_whole_story():
    load_demo()
    path = Path.objects.get(organisation__slug=YOUTH_ORG)
    experiments = Experiment.objects.filter(path=path)
    originals = experiments.filter(round_number=1, adopted_from__isnull=True)
    assert originals.count() == 8
    assert len({e.unit_id for e in originals}) == 8
    tampere = originals.get(title="Kaveri mukaan -ilta")
    assert sorted(c.unit.name for c in tampere.adoptions.all()) == [
        "Kuopion osasto",
        "Oulun osasto",
    ]
    second = experiments.get(round_number=2)
    assert second.previous_round.title == "Somehaaste #NuoretAuttaa"
    assert second.previous_round.decision == "continue"
    library = selectors.practice_library(path=path)
    assert library[0] == tampere
    assert [e.unit.name for e in selectors.experiments_not_reported(path=path)] == [
        "Kuopion osasto"
    ]


def test_demo_kickoff_topics_are_suggested_for_experiments():
    load_demo()
    path = Path.objects.get(organisation__slug=YOUTH_ORG)
    suggestions = selectors.topic_suggestions(path=path)
    assert suggestions[0] == "Miten uudet nuoret löytävät meidät?"
    assert set(Experiment.objects.filter(path=path).values_list("topic_title", flat=True)) == {
        "Miten uudet nuoret löytävät meidät?",
        "Miten nuoret jäävät mukaan kokeilun jälkeen?",
        "Somenäkyvyys paikkakunnalla",
    }
    assert set(suggestions) >= {
        "Miten uudet nuoret löytävät meidät?",
        "Miten nuoret jäävät mukaan kokeilun jälkeen?",
        "Somenäkyvyys paikkakunnalla",
    }
