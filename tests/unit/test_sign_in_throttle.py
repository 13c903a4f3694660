"""The sign-in throttle's counting: per address and username, per address across usernames, and
a window that slides; an attempt counted before its password is checked, so parallel ones cannot
all pass."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from api.throttle import SignInThrottle, TooManySignIns

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_an_address_guessing_across_usernames_is_held_back_for_every_username() -> None:
    t = SignInThrottle(per_account=5, per_address=3)
    for name in ("a", "b", "c"):
        t.attempt("10.0.0.1", name, T0)  # not taken back: a failure
    with pytest.raises(TooManySignIns) as e:
        t.attempt("10.0.0.1", "d", T0 + timedelta(minutes=1))
    assert e.value.retry_after == 14 * 60
    t.attempt("10.0.0.2", "a", T0)  # another address is not held back


def test_the_window_slides_one_failure_at_a_time() -> None:
    t = SignInThrottle(window=timedelta(minutes=15), per_account=2, per_address=100)
    t.attempt("10.0.0.1", "kab.bogor", T0)
    t.attempt("10.0.0.1", "Kab.Bogor", T0 + timedelta(minutes=10))
    with pytest.raises(TooManySignIns):
        t.attempt("10.0.0.1", "kab.bogor", T0 + timedelta(minutes=14))
    t.attempt("10.0.0.1", "kab.bogor", T0 + timedelta(minutes=15))  # the first is out


def test_a_success_takes_its_attempt_back_and_clears_the_count_a_refusal_counts_nothing() -> None:
    t = SignInThrottle(per_account=2, per_address=4)
    t.attempt("10.0.0.1", "kab.bogor", T0)
    t.succeeded(t.attempt("10.0.0.1", "kab.bogor", T0))
    t.attempt("10.0.0.1", "kab.bogor", T0)
    t.attempt("10.0.0.1", "kab.bogor", T0)  # the success cleared the first
    for _ in range(3):  # refused: not counted, so the address's count stays at 3
        with pytest.raises(TooManySignIns):
            t.attempt("10.0.0.1", "kab.bogor", T0)
    t.succeeded(t.attempt("10.0.0.1", "kab.lain", T0))  # its own failure taken back too
    t.attempt("10.0.0.1", "kab.lain", T0)
    with pytest.raises(TooManySignIns):
        t.attempt("10.0.0.1", "kab.tiga", T0)  # 4 failures of the address


def test_parallel_attempts_pass_at_most_the_limit() -> None:
    """16 threads at once: 5 let through, 11 refused (counting after the password check let
    every one of them through the count first)."""
    t = SignInThrottle(per_account=5, per_address=100)
    start = threading.Barrier(16)

    def one(_: int) -> bool:
        start.wait(timeout=60)
        try:
            t.attempt("10.0.0.1", "kab.bogor", T0)
        except TooManySignIns:
            return False
        return True

    with ThreadPoolExecutor(16) as pool:
        passed = sum(pool.map(one, range(16)))
    assert passed == 5


def test_an_ipv6_guesser_cannot_take_a_fresh_address_of_its_network_per_try() -> None:
    t = SignInThrottle(per_account=2, per_address=100)
    t.attempt("2001:db8:1:2::1", "kab.bogor", T0)
    t.attempt("2001:db8:1:2:ffff::7", "kab.bogor", T0)
    with pytest.raises(TooManySignIns):
        t.attempt("2001:db8:1:2:abcd::9", "kab.bogor", T0)
    t.attempt("2001:db8:1:3::1", "kab.bogor", T0)  # another network


def test_a_blank_username_is_one_failure_of_its_own_not_the_address_count() -> None:
    """A blank username's key was the address's "any username" key: each such attempt counted
    twice toward the address's limit, and was held to 5 of every username's failures
    (helper-74's review)."""
    t = SignInThrottle(per_account=5, per_address=3)
    t.attempt("10.0.0.1", "  ", T0)
    t.attempt("10.0.0.1", "a", T0)
    t.attempt("10.0.0.1", "b", T0)  # the third failure of the address: let through
    with pytest.raises(TooManySignIns):
        t.attempt("10.0.0.1", "c", T0)
