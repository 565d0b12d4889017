"""Roll-up arithmetic from a constructed path: every number is checked by hand in factories.py."""

import datetime as dt
from decimal import Decimal

import pytest

from polku.reports.report import path_report
from polku.reports.tests.factories import TODAY, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def report():
    world = build_world()
    return path_report(path=world["path"], today=TODAY)


def rollup(report, name):
    return next(r for r in report.rollups if r.measure_type.name == name)


def test_count_measure_sums_all_checkins_against_summed_targets(report):
    r = rollup(report, "Uudet nuoret")
    assert (r.total, r.target, r.experiments, r.reached) == (Decimal(14), Decimal(20), 2, 1)
    assert r.percent_of_target == 70
    assert r.by_unit == [("Alfa", Decimal(11)), ("Beta", Decimal(3))]
    assert r.over_time == [("2026-01", Decimal(4)), ("2026-02", Decimal(14))]


def test_second_count_measure(report):
    r = rollup(report, "Jäivät mukaan")
    assert (r.total, r.target, r.reached) == (Decimal(2), Decimal(2), 1)
    assert r.over_time == [("2026-01", Decimal(1)), ("2026-02", Decimal(2))]


def test_percent_takes_latest_value(report):
    r = rollup(report, "Tyytyväisyys")
    assert (r.total, r.reached, r.percent_of_target) == (Decimal(90), 1, None)
    assert r.over_time == [("2026-01", Decimal(60)), ("2026-02", Decimal(90))]


def test_yes_no_counts_experiments_answering_yes(report):
    r = rollup(report, "Tapahtuma pidetty")
    assert (r.total, r.experiments, r.reached) == (Decimal(1), 1, 1)


def test_funnel_steps(report):
    assert [(s.key, s.count) for s in report.funnel] == [
        ("topics", report.topic_counts[0] if report.topic_counts else None),
        ("prioritised", report.topic_counts[1] if report.topic_counts else None),
        ("experiments", 4),
        ("reported", 1),
        ("reached_target", 2),
        ("adopted_elsewhere", 1),
    ]


def test_experiments_by_status(report):
    assert [(key, n) for key, _label, n in report.statuses] == [
        ("planned", 1),
        ("running", 2),
        ("reported", 1),
        ("decided", 0),
    ]


def test_lineage_edges_between_units(report):
    assert [(e.source_unit, e.target_unit, e.experiment, e.count) for e in report.lineage] == [
        ("Alfa", "Beta", "Kaveri mukaan", 1),
        ("Alfa", "Gamma", "Kaveri mukaan", 1),
    ]


def test_checkin_health_overdue(report):
    rows = [(h.experiment.title, h.last_checkin, h.due_on, h.days_overdue) for h in report.health]
    assert rows == [
        # slots every 21 days from the start: 22.1., 12.2., 5.3. — 12.2. was missed
        ('=HYPERLINK("http://evil")', None, dt.date(2026, 2, 12), 17),
        # slots 26.1., 16.2., 9.3. — the last check-in (15.2.) came before the 16.2. slot
        ("Kaveri mukaan", dt.date(2026, 2, 15), dt.date(2026, 2, 16), 13),
    ]
    assert len(report.overdue) == 2


def test_counts(report):
    assert (report.experiment_count, report.experiments.checkin_count, report.unit_count) == (
        4,
        5,
        3,
    )


def test_practice_library_highlights_reached_targets_most_copied_first(report):
    assert [(h["title"], h["unit_name"], h["copies"]) for h in report.highlights] == [
        ("Kaveri mukaan", "Alfa", 2),
        ("Kaveri mukaan", "Gamma", 0),
    ]
