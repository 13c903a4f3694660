"""The instant text inside every event hash must never change: stored chains depend on it."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from engine.audit import (
    GENESIS,
    ChainedEvent,
    _instant,
    canonical,
    chain,
    event_hash,
    verify_chain,
)
from engine.state import Event
from engine.store.repository import event_from_row, event_row

zones = st.integers(min_value=-12 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)


@given(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)), zones)
def test_instant_text_is_the_strftime_form_the_hashes_were_made_with(
    naive: datetime, zone: timezone
) -> None:
    dt = naive.replace(tzinfo=zone)
    assert _instant(dt) == dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_instant_text_of_a_utc_value() -> None:
    assert _instant(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)) == "2026-03-02T02:00:00.000000Z"
    wib = timezone(timedelta(hours=7))
    assert _instant(datetime(2026, 3, 2, 9, 0, 0, 5, tzinfo=wib)) == "2026-03-02T02:00:00.000005Z"


# -- the event hash: the canonical body, built from its parts ------------------------------------
texts = st.text(max_size=12)  # any code point: quotes, backslashes, control characters, emoji
values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)
instants = st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)).map(
    lambda d: d.replace(tzinfo=UTC)
)
events = st.builds(
    Event,
    case_id=texts,
    version=st.integers(min_value=1, max_value=10**6),
    type=texts,
    trigger=texts,
    workflow=texts,
    workflow_version=st.integers(min_value=1, max_value=99),
    actor=texts,
    role=texts,
    occurred_at=instants,
    recorded_at=instants,
    data=st.dictionaries(texts, values, max_size=4),
    changes=st.dictionaries(texts, values, max_size=4),
    note=st.none() | texts,
)


def _reference_hash(prev: str, ev: Event) -> str:
    """The hash as it was first defined: SHA-256 of the canonical JSON of the whole body."""
    body = [
        prev,
        ev.case_id,
        ev.version,
        ev.type,
        ev.payload(),
        ev.workflow,
        ev.workflow_version,
        ev.actor,
        ev.role,
        _instant(ev.occurred_at),
        _instant(ev.recorded_at),
    ]
    return hashlib.sha256(canonical(body).encode()).hexdigest()


@given(st.text(max_size=64), events)
def test_event_hash_is_the_canonical_body_hash(prev: str, ev: Event) -> None:
    """Stored chains were hashed over canonical(body); the body assembled from its parts (the
    payload encoded once) must give the same hash for every event."""
    payload, digest = chain(prev, ev)
    assert digest == event_hash(prev, ev) == _reference_hash(prev, ev)
    assert payload == canonical(ev.payload())
    assert json.loads(payload) == json.loads(canonical(ev.payload()))


def _stored(ev: Event, prev: str, digest: str, text: str | bytes) -> ChainedEvent:
    """The event as the store hands it back: decoded from its stored text."""
    # the row the store writes (`event_row`), with the payload as the store hands it back
    row = {**event_row(ev, prev, digest, ""), "payload": text}
    return event_from_row(SimpleNamespace(id=1, **row))


@given(events, texts)
def test_a_stored_payload_is_checked_by_its_text_or_its_content(ev: Event, extra: str) -> None:
    ev = dataclasses.replace(ev, version=1)
    payload, digest = chain(GENESIS, ev)
    stored = _stored(ev, GENESIS, digest, payload)
    assert stored.stored_text == payload and stored.event == ev
    assert verify_chain(ev.case_id, [stored]) is None
    # the same content in another JSON form (a store that re-encodes it, or a row written
    # before payloads were stored in canonical form): decided on the decoded content, valid
    other = json.dumps(json.loads(payload), indent=1, ensure_ascii=True)
    assert verify_chain(ev.case_id, [_stored(ev, GENESIS, digest, other)]) is None
    # stored as a BLOB by some tool: decoded as before, checked on its content
    blob = _stored(ev, GENESIS, digest, payload.encode())
    assert blob.stored_text is None and blob.event == ev
    assert verify_chain(ev.case_id, [blob]) is None
    # the same content with a key given twice, a forged value first: Python reads the last
    # (the content hashed), SQLite's JSON functions the first: refused, naming the key
    forged = payload.replace('{"changes":', '{"changes":{"state":"x"},"changes":', 1)
    problem = verify_chain(ev.case_id, [_stored(ev, GENESIS, digest, forged)])
    assert problem is not None and problem.kind == "hash_mismatch", problem
    assert '"changes" twice' in problem.detail
    # changed content, by text: the hash does not hold either way
    changed = json.loads(payload)
    changed["note"] = (changed["note"] or "") + extra + "x"
    for text in (canonical(changed), json.dumps(changed)):
        problem = verify_chain(ev.case_id, [_stored(ev, GENESIS, digest, text)])
        assert problem is not None and problem.kind == "hash_mismatch"


def test_sealed_changes_name_each_case_that_differs_from_what_a_checkpoint_sealed() -> None:
    from engine.audit import sealed_changes

    sealed = {"A": (3, "a3"), "B": (2, "b2"), "C": (4, "c4"), "D": (1, "d1")}
    now = {"A": (3, "a3"), "B": (1, "b1"), "C": (4, "cX"), "E": (2, "e2")}
    found = {p.case_id: p for p in sealed_changes("checkpoint 7", sealed, now)}
    assert list(found) == ["B", "C", "D", "E"]  # A is as sealed; case-id order
    assert {p.kind for p in found.values()} == {"history_changed"}
    assert "ends at version 1: events removed" in found["B"].detail
    assert found["B"].version == 2
    assert "rewritten" in found["C"].detail and "c4" in found["C"].detail
    assert "all its events are gone" in found["D"].detail
    assert found["E"].version is None and "did not seal" in found["E"].detail
    assert sealed_changes("checkpoint 7", sealed, dict(sealed)) == []


def test_the_c_encoders_canonical_text_is_canonical() -> None:
    """Audit verify compares a case row's attrs with its replay's as canonical text through
    json's C encoder directly (engine.audit._canonical): the very text `canonical` gives."""
    from engine.audit import _canonical, canonical

    values = [
        {"b": 1, "a": [1.5, 2, True, None, 'é\u2028\ud800\n"', {"z": float("nan")}]},
        {"big": 10**30, "neg": -(10**20), "f": 1e300, "inf": float("-inf"), "t": 2.0},
        {},
        [],
        "text",
        3,
        None,
        {"nested": {"y": {"x": [{}, []]}}, "date": object.__new__(type("X", (), {}))},
    ]
    for value in values:
        assert _canonical(value) == canonical(value)
