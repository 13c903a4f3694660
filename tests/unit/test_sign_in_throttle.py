"""The sign-in throttle's counting: per address and username, per address across usernames, and
a window that slides."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from api.throttle import SignInThrottle, TooManySignIns

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_address_guessing_across_usernames_is_held_back_for_every_username() -> None:
    t = SignInThrottle(per_account=5, per_address=3)
    for name in ("a", "b", "c"):
        t.check("10.0.0.1", name, T0)
        t.failed("10.0.0.1", name, T0)
    with pytest.raises(TooManySignIns) as e:
        t.check("10.0.0.1", "d", T0 + timedelta(minutes=1))
    assert e.value.retry_after == 14 * 60
    t.check("10.0.0.2", "a", T0)  # another address is not held back


def test_the_window_slides_one_failure_at_a_time() -> None:
    t = SignInThrottle(window=timedelta(minutes=15), per_account=2, per_address=100)
    t.failed("10.0.0.1", "kab.bogor", T0)
    t.failed("10.0.0.1", "Kab.Bogor", T0 + timedelta(minutes=10))
    with pytest.raises(TooManySignIns):
        t.check("10.0.0.1", "kab.bogor", T0 + timedelta(minutes=14))
    t.check("10.0.0.1", "kab.bogor", T0 + timedelta(minutes=15))  # the first is out


def test_an_ipv6_guesser_cannot_take_a_fresh_address_of_its_network_per_try() -> None:
    t = SignInThrottle(per_account=2, per_address=100)
    t.failed("2001:db8:1:2::1", "kab.bogor", T0)
    t.failed("2001:db8:1:2:ffff::7", "kab.bogor", T0)
    with pytest.raises(TooManySignIns):
        t.check("2001:db8:1:2:abcd::9", "kab.bogor", T0)
    t.check("2001:db8:1:3::1", "kab.bogor", T0)  # another network
