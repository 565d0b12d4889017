"""The youth path's demo story (one test: loading the whole demo takes a while)."""

from decimal import Decimal

import pytest

from polku.activities.registry import registry
from polku.core.demo import YOUTH_ORG, load_demo
from polku.experiments import selectors
from polku.experiments.models import Experiment
from polku.live.selectors import activity_open_data
from polku.paths.models import Path

pytestmark = pytest.mark.django_db

TOPICS = {
    "Miten uudet nuoret löytävät meidät?",
    "Miten nuoret jäävät mukaan kokeilun jälkeen?",
    "Somenäkyvyys paikkakunnalla",
}


def test_demo_story_and_rollup_of_exactly_350_reached_and_45_stayed():
    load_demo()
    path = Path.objects.get(organisation__slug=YOUTH_ORG)
    totals = {row.measure_type.name: row.total for row in selectors.path_rollup(path=path)}
    assert totals == {
        "uusia nuoria tavoitettu": Decimal(350),
        "jäi mukaan vapaaehtoiseksi": Decimal(45),
    }
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
    assert (library[0], library[0].adoption_count) == (tampere, 2)
    assert [e.unit.name for e in selectors.experiments_not_reported(path=path)] == [
        "Kuopion osasto"
    ]
    # The experiments answer the kick-off's prioritised topics, which the plan form suggests.
    assert set(experiments.values_list("topic_title", flat=True)) == TOPICS
    assert set(selectors.topic_suggestions(path=path)) >= TOPICS
    # The follow-up workshop's report-back reads its cards when it is started: nothing to prepare.
    followup = path.workshop_days.order_by("starts_at")[1]
    report_back = followup.agenda_slots.get(activity_type="report_back")
    cards = activity_open_data(slot_id=report_back.pk, activity=registry["report_back"])["cards"]
    assert len(cards) == experiments.exclude(status="decided").count() == 10
