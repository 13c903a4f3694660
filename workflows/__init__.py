"""PKH's workflows declared as data, and the registry the service looks them up in."""

from __future__ import annotations

from engine.definition import WorkflowDefinition
from engine.errors import NotFound


class Registry:
    """Every version of every workflow, so old cases replay under the version they started with."""

    def __init__(self, definitions: list[WorkflowDefinition]) -> None:
        self._defs: dict[str, dict[int, WorkflowDefinition]] = {}
        for d in definitions:
            self._defs.setdefault(d.name, {})[d.version] = d

    def names(self) -> list[str]:
        return sorted(self._defs)

    def get(self, name: str, version: int | None = None) -> WorkflowDefinition:
        versions = self._defs.get(name)
        if not versions:
            raise NotFound(f"unknown workflow: {name} (known: {', '.join(self.names())})")
        if version is None:
            return versions[max(versions)]
        if version not in versions:
            raise NotFound(f"workflow {name} has no version {version}")
        return versions[version]

    def by_prefix(self, prefix: str) -> WorkflowDefinition:
        for versions in self._defs.values():
            d = versions[max(versions)]
            if d.id_prefix == prefix:
                return d
        raise NotFound(f"no workflow uses case numbers {prefix}-...")


def default_registry(*, ketua_kelompok_days: int = 20, pendamping_days: int = 5) -> Registry:
    from workflows import complaint, discipline, kkn, kpm

    return Registry(
        [
            complaint.definition(
                ketua_kelompok_days=ketua_kelompok_days, pendamping_days=pendamping_days
            ),
            kkn.definition(),
            discipline.definition(),
            kpm.definition(),
        ]
    )
