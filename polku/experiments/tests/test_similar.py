"""Peer learning across units: similar experiments and grouped learnings (polku.grouping)."""

import datetime as dt

import pytest
from django.test import override_settings

from polku.core.tests.factories import UnitFactory
from polku.experiments import selectors, services
from polku.experiments.tests.test_views import login, url, world  # noqa: F401 - fixture
from polku.grouping.text import lemmatiser
from polku.organisations.models import Membership

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not lemmatiser().available, reason="Voikko is not installed"),
]
Role = Membership.Role


def _others(world):  # noqa: F811
    path = world["path"]
    turku = UnitFactory(organisation=world["org"], name="Turun osasto")
    path.units.add(turku)
    made = {}
    for unit, title, what in [
        (world["pori"], "Kaveri mukaan -kampanja", "Jokainen jäsen tuo kaverin mukaan iltaan"),
        (turku, "Kaverit mukaan syysiltaan", "Uudet nuoret kaverin kanssa mukaan"),
        (world["pori"], "Kirpputori osaston kassaan", "Myydään tavaraa ja kerätään rahaa retkiin"),
        (world["oulu"], "Kaveri mukaan -ilta 2", "Sama yksikkö, ei näytetä"),
    ]:
        made[title] = services.experiment_create(
            path=path, unit=unit, title=title, what_we_try=what, targets={world["reached"]: 5}
        )
    return made


def test_similar_experiments_are_from_other_units_best_first(world):  # noqa: F811
    made = _others(world)
    similar = selectors.similar_experiments(experiment=world["experiment"])
    assert [(e.title, e.unit.name) for e in similar][:2] == [
        ("Kaverit mukaan syysiltaan", "Turun osasto"),
        ("Kaveri mukaan -kampanja", "Porin osasto"),
    ]
    assert made["Kaveri mukaan -ilta 2"] not in similar  # the same unit is not "another branch"
    assert all(0 < e.similarity <= 1 for e in similar)


def test_experiment_page_shows_similar_experiments_and_off_switch_hides_them(client, world):  # noqa: F811
    _others(world)
    login(client, world, Role.FACILITATOR)
    page = client.get(url(world, "detail", world["experiment"].pk)).content.decode()
    assert "Samankaltaisia kokeiluja muissa yksiköissä" in page
    assert "Kaveri mukaan -kampanja" in page
    with override_settings(POLKU_GROUPING=False):
        page = client.get(url(world, "detail", world["experiment"].pk)).content.decode()
    assert "Samankaltaisia kokeiluja muissa yksiköissä" not in page


def test_library_search_finds_by_meaning_what_the_words_do_not(client, world):  # noqa: F811
    _others(world)
    login(client, world, Role.FACILITATOR)
    response = client.get(url(world, "library"), {"q": "kaverit mukaan"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Samankaltaisia kokeiluja muissa yksiköissä" in page
    assert "Kaverit mukaan syysiltaan" in page
    assert "Kirpputori osaston kassaan" not in page


def test_learnings_are_grouped_with_names_from_their_words(world):  # noqa: F811
    e = world["experiment"]
    texts = [
        "Kaveri toi kaverin, ja ilta täyttyi",
        "Kaverit mukaan toi uusia nuoria",
        "Kavereiden kutsuminen henkilökohtaisesti",
        "Kahvi ja pulla houkuttelivat",
    ]
    for i, text in enumerate(texts):
        services.checkin_submit(
            experiment=e, slot=dt.date(2027, 2, 1 + i), values={}, what_helped=text, shareable=True
        )
    learnings = list(selectors.shareable_learnings(path=world["path"]))
    groups = selectors.learnings_grouped(learnings=learnings)
    assert [(g.name, sorted(c.what_helped for c in g.learnings)) for g in groups] == [
        ("Kaveri", sorted(texts[:2])),
        ("", sorted(texts[2:])),
    ]
