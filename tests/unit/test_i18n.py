"""The officer pages speak Bahasa Indonesia (and English): every command and event of every
workflow has a label in both, so no button or timeline row shows a raw identifier."""

from __future__ import annotations

import pytest

from api.i18n import LABELS, label
from workflows import default_registry

REGISTRY = default_registry()


@pytest.mark.parametrize("name", sorted(REGISTRY.names()))
def test_every_command_and_event_of_a_workflow_has_a_label_in_both_languages(name: str) -> None:
    d = REGISTRY.get(name)
    triggers = {t.trigger for t in d.transitions}
    types = {t.event_type for t in d.transitions}
    assert sorted(triggers - set(LABELS["event"])) == []
    assert sorted(types - set(LABELS["event_type"])) == []
    for kind, keys in (("event", triggers), ("event_type", types)):
        for key in keys:
            indonesian, english = (label(kind, key, lang) for lang in ("id", "en"))
            assert indonesian.strip() and english.strip(), (kind, key)
            assert indonesian != key.replace("_", " "), (kind, key)  # not the fallback
