"""The officer pages speak Bahasa Indonesia (and English): every command and event of every
workflow has a label in both, so no button or timeline row shows a raw identifier."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

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


# ------------------------------------------------------------------------------ refusals
# Where a refusal is made for the complaint, KKN and discipline workflows: the modules of their
# guards, parsers and effects, the engine's decider (its own guards and input checks) and the
# staff register they act on. Their texts reach the officer pages, which speak Indonesian.
REFUSING_WORKFLOWS = ("complaint", "kkn", "discipline")
ALSO_REFUSING = ("engine.machine", "engine.errors", "workflows.staff")


def _refusing_modules() -> list[str]:
    modules = set(ALSO_REFUSING)
    for name in REFUSING_WORKFLOWS:
        d = REGISTRY.get(name)
        for fn in (*d.guards.values(), *d.parsers.values(), *d.effects.values()):
            module = inspect.getmodule(fn)
            assert module is not None, fn
            modules.add(module.__name__)
    return sorted(modules)


def _calls(module: str, names: set[str]) -> list[ast.Call]:
    tree = ast.parse(Path(importlib.import_module(module).__file__ or "").read_text())
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) in names
    ]


@pytest.mark.parametrize("module", _refusing_modules())
def test_every_refusal_of_the_complaint_kkn_and_discipline_workflows_says_it_in_indonesian(
    module: str,
) -> None:
    """Every guard reason carries an Indonesian text of its own (not the English one), and
    every bad-input error its Indonesian message (`message_id`), which the pages show: a new
    English-only refusal fails here."""
    english_only = []
    for call in _calls(module, {"Reason", "R"}):
        args = call.args
        if len(args) < 3 or ast.dump(args[1]) == ast.dump(args[2]):
            english_only.append(f"{module}:{call.lineno} {ast.unparse(call)[:80]}")
    for call in _calls(module, {"InvalidInput"}):
        given = {k.arg: k.value for k in call.keywords}
        said = given.get("message_id")
        if said is None or (isinstance(said, ast.Constant) and not said.value):
            english_only.append(f"{module}:{call.lineno} {ast.unparse(call)[:80]}")
    assert english_only == []


def test_the_refusing_modules_are_found_from_the_workflows() -> None:
    found = _refusing_modules()
    for module in ("workflows.complaint", "workflows.kkn", "workflows.discipline"):
        assert module in found
    assert "workflows.guards" in found  # shared guards (actor_covers_region)
