"""Named rate limits (polku.core.ratelimit on the `limits` library)."""

import pytest
from django.test import override_settings

from polku.core import ratelimit


@override_settings(POLKU_RATE_LIMITS={"test.x": "3/minute;5/hour"})
def test_a_limit_counts_per_key_and_a_refused_hit_costs_nothing():
    assert [ratelimit.hit("test.x", "a") for _ in range(4)] == [True, True, True, False]
    assert ratelimit.hit("test.x", "b") is True
    assert ratelimit.test("test.x", "a") is False
    ratelimit.clear("test.x", "a")
    assert ratelimit.hit("test.x", "a") is True


@override_settings(POLKU_RATE_LIMITS={"test.x": "2/minute"})
def test_local_limits_count_in_process_memory():
    assert [ratelimit.local_hit("test.x", "k") for _ in range(3)] == [True, True, False]
    assert ratelimit.local_test("test.x", "other") is True


def test_an_unknown_limit_name_is_a_programming_error():
    with pytest.raises(ValueError, match="unknown rate limit 'nope'"):
        ratelimit.hit("nope", "k")
