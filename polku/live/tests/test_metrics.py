"""The live engine's counters: acknowledged inputs, batch commit latency, open sockets."""

import pytest
from prometheus_client import REGISTRY

from polku.core import metrics
from polku.live.tests.factories import live_day
from polku.live.tests.test_consumers import console, control, phone, receive_until, run

pytestmark = pytest.mark.django_db(transaction=True)


def _value(name: str, labels: dict | None = None) -> float:
    return REGISTRY.get_sample_value(name, labels or {}) or 0.0


def test_acked_inputs_and_batch_commits_are_counted_and_sockets_read_at_scrape():
    day, (topics, _vote), fac = live_day()
    inputs_before = _value("polku_live_inputs_total")
    commits_before = _value("polku_live_batch_commit_seconds_count")
    seen: dict = {}

    async def scenario():
        staff = await console(day, fac.user_id)
        await control(staff, topics, "open", "c1")  # a facilitator action: not an input
        phones = [await phone(day.join_code) for _ in range(3)]
        for i, comm in enumerate(phones):
            await receive_until(comm, "me")
            await comm.send_json_to(
                {"t": "input", "id": f"t-{i}", "slot": topics.pk, "kind": "card",
                 "data": {"text": f"Ajatus {i}"}}
            )  # fmt: skip
            await receive_until(comm, "ack")
        seen["counts"] = metrics.live_counts()
        for comm in phones:
            await comm.disconnect()
        await staff.disconnect()

    run(scenario)
    assert seen["counts"] == {"rooms": 1, "phone": 3, "screen": 0, "console": 1}
    assert _value("polku_live_inputs_total") - inputs_before == 3
    # the open control and each acked card were written by at least one batch each
    commits = _value("polku_live_batch_commit_seconds_count") - commits_before
    assert 2 <= commits <= 4
