from polku.core import scheduler


def test_jobs_run_when_due_and_a_failure_does_not_stop_others(monkeypatch):
    calls = []
    monkeypatch.setattr(scheduler, "JOBS", {})
    scheduler.register("a", lambda: calls.append("a"), every_seconds=60)
    scheduler.register("boom", lambda: 1 / 0, every_seconds=60)
    scheduler.register("b", lambda: calls.append("b"), every_seconds=10)
    assert scheduler.run_due(now=1000.0) == ["a", "boom", "b"]
    assert scheduler.run_due(now=1005.0) == []
    assert scheduler.run_due(now=1010.0) == ["b"]
    assert scheduler.run_due(now=1060.0) == ["a", "boom", "b"]
    assert calls == ["a", "b", "b", "a", "b"]


def test_experiment_reminders_are_registered():
    assert scheduler.JOBS["experiments.reminders"].every_seconds == 900
