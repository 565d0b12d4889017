"""/healthz, /readyz and /metrics: what a load balancer and Prometheus see."""

import datetime as dt
import os

import pytest
from django.test import override_settings
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from polku.core import health, metrics
from polku.core.tasks import worker_heartbeat

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture(autouse=True)
def _fresh_migration_cache():
    health._migrations_ok_at = 0.0
    yield
    health._migrations_ok_at = 0.0


def _run_heartbeat(finished_ago: float) -> None:
    """What db_worker does with the heartbeat task, finished `finished_ago` seconds ago."""
    result = DBTaskResult.objects.get(task_path=health.HEARTBEAT_TASK, finished_at__isnull=True)
    result.status = "SUCCESSFUL"
    result.started_at = result.finished_at = timezone.now() - dt.timedelta(seconds=finished_ago)
    result.save()


@pytest.mark.django_db
def test_healthz_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})
    assert "no-cache" in response["Cache-Control"]
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
@override_settings(TASKS=DB_TASKS, REDIS_URL="")
def test_readyz_waits_for_the_worker_heartbeat_and_says_why(client, caplog):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "checks": {
            "database": {"ok": True, "detail": "ok"},
            "redis": {"ok": True, "detail": "not configured"},
            "worker": {"ok": False, "detail": "no heartbeat yet"},
            "migrations": {"ok": True, "detail": "ok"},
        },
    }
    assert [r for r in caplog.records if r.name == "django.request"] == []  # probes are not errors
    assert health.heartbeat_enqueue() == "enqueued"
    assert health.heartbeat_enqueue() == "waiting"  # never piles up while the worker is down
    _run_heartbeat(finished_ago=5)
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["worker"] == {"ok": True, "detail": "last heartbeat 5 s ago"}
    assert response.json()["status"] == "ok"


@pytest.mark.django_db
@override_settings(TASKS=DB_TASKS, POLKU_WORKER_STALE_SECONDS=180)
def test_readyz_fails_when_the_last_heartbeat_is_stale_and_old_beats_are_pruned(client):
    for ago in (900, 400):
        assert health.heartbeat_enqueue() == "enqueued"
        _run_heartbeat(finished_ago=ago)
    check = health.check_worker()
    assert (check.ok, check.detail) == (False, "last heartbeat 400 s ago")
    assert health.heartbeat_enqueue() == "enqueued"
    # only the latest finished beat and the waiting one are kept
    assert DBTaskResult.objects.filter(task_path=health.HEARTBEAT_TASK).count() == 2
    assert client.get("/readyz").status_code == 503


@pytest.mark.django_db
def test_readyz_reports_pending_migrations(monkeypatch):
    class Plan:
        def __init__(self, connection):
            self.loader = type("L", (), {"graph": type("G", (), {"leaf_nodes": lambda s: []})()})

        def migration_plan(self, targets):
            return [("experiments", "0009_new"), ("live", "0005_new")]

    monkeypatch.setattr(health, "MigrationExecutor", Plan)
    check = health.check_migrations()
    assert (check.ok, check.detail) == (False, "2 not applied")


@pytest.mark.django_db
@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_reports_an_unreachable_redis(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {"ok": False, "detail": "ConnectionError"}


@pytest.mark.django_db
def test_heartbeat_task_is_what_the_worker_runs():
    assert worker_heartbeat.func() == "ok"
    assert f"{worker_heartbeat.func.__module__}.{worker_heartbeat.func.__name__}" == (
        health.HEARTBEAT_TASK
    )


def _sample(text: str, name: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name + " ") or line == name:
            return float(line.rsplit(" ", 1)[1])
    return None


@pytest.mark.django_db
@override_settings(TASKS=DB_TASKS, REDIS_URL="")
def test_metrics_expose_requests_live_rooms_and_the_task_queue(client):
    client.get("/j/")
    enqueued = timezone.now() - dt.timedelta(seconds=120)
    for _ in range(3):
        worker_heartbeat.enqueue()
    DBTaskResult.objects.update(enqueued_at=enqueued)
    text = client.get("/metrics").content.decode()
    assert _sample(text, 'polku_http_requests_total{method="GET",status="200",view="live:join"}')
    assert _sample(text, "polku_live_rooms") == 0.0
    assert _sample(text, 'polku_live_connections{audience="phone"}') == 0.0
    assert _sample(text, "polku_live_phones_all_instances") == 0.0
    assert _sample(text, "polku_tasks_queued") == 3.0
    assert 119 <= _sample(text, "polku_tasks_oldest_queued_seconds") <= 130
    assert "# TYPE polku_live_inputs_total counter" in text
    assert "# TYPE polku_live_batch_commit_seconds histogram" in text


@pytest.mark.django_db
@override_settings(POLKU_METRICS_TOKEN="m3trics-t0ken")
def test_metrics_need_the_bearer_token_when_one_is_set(client):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.get("/metrics", headers={"authorization": "Bearer m3trics-t0ken"})
    assert right.status_code == 200
    assert right["Content-Type"].startswith("text/plain; version=")


def test_live_counts_read_the_rooms_of_this_process(monkeypatch):
    from polku.live.engine import rooms

    class FakeRoom:
        def __init__(self, phones: int, screens: int) -> None:
            self.conns = {
                "phone": set(range(phones)),
                "screen": set(range(screens)),
                "console": {1},
            }

    monkeypatch.setitem(rooms, "AAAAAA", FakeRoom(20, 1))
    monkeypatch.setitem(rooms, "BBBBBB", FakeRoom(5, 2))
    assert metrics.live_counts() == {"rooms": 2, "phone": 25, "screen": 3, "console": 2}


@pytest.mark.services
def test_phones_of_all_instances_are_summed_through_redis(redis_url, monkeypatch, settings):
    import redis

    settings.REDIS_URL = redis_url
    client = redis.Redis.from_url(redis_url)
    client.delete(metrics.PHONES_KEY)
    import time

    now = time.time()
    client.hset(metrics.PHONES_KEY, "other-instance", f"7:{now:.0f}")
    client.hset(metrics.PHONES_KEY, "gone-instance", f"99:{now - 300:.0f}")
    monkeypatch.setattr(metrics, "INSTANCE", "this-instance")
    assert metrics.phones_all_instances(12) == 19
    assert sorted(client.hkeys(metrics.PHONES_KEY)) == [
        b"other-instance", f"this-instance/{os.getpid()}".encode(),
    ]  # fmt: skip
    client.delete(metrics.PHONES_KEY)
