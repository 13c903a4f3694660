"""PKH roles, and how precise a user's region must be for each."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import InvalidInput
from engine.state import Actor, CaseState, name_key
from workflows.regions import known_region

ROLES = ("ketua_kelompok", "pendamping", "kabupaten", "provinsi", "pusat", "auditor", "admin")
# who audits: replays, verifies, and reads a case whose stored row is gone from its events
AUDITOR_ROLES = ("auditor", "pusat", "admin")
# digits of the region code each role is scoped to; None: national, no region
REGION_DIGITS: dict[str, tuple[int, ...] | None] = {
    "ketua_kelompok": (6, 10),
    "pendamping": (6,),
    "kabupaten": (4,),
    "provinsi": (2,),
    "pusat": None,
    "admin": None,
    "auditor": (2, 4, 6, 10),
}


def check_role_region(role: str, region: str | None) -> tuple[str, str | None]:
    """Validate a role and its region; returns them normalised or raises InvalidInput."""
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise InvalidInput(
            "role",
            f"unknown role '{role}'; expected one of: {', '.join(ROLES)}",
            message_id=f"peran '{role}' tidak dikenal; pilihan: {', '.join(ROLES)}",
        )
    digits = REGION_DIGITS[role]
    if not region:
        if digits is None or role == "auditor":
            return role, None
        raise InvalidInput(
            "region",
            f"role {role} needs a region code of {' or '.join(map(str, digits))} digits",
            message_id=f"peran {role} memerlukan kode wilayah "
            f"{' atau '.join(map(str, digits))} digit",
        )
    if digits is None:
        raise InvalidInput(
            "region",
            f"role {role} is national and takes no region",
            message_id=f"peran {role} bersifat nasional dan tanpa kode wilayah",
        )
    code = known_region(region, "region")
    if len(code) not in digits:
        raise InvalidInput(
            "region",
            f"role {role} needs a region code of "
            f"{' or '.join(map(str, digits))} digits, got {code}",
            message_id=f"peran {role} memerlukan kode wilayah "
            f"{' atau '.join(map(str, digits))} digit, bukan {code}",
        )
    return role, code


# Which roles may read a workflow's cases, within their region: its lists and worklists, the
# case, its history and replay, the pages and the CLI (engine.service.CaseService `readers`).
# A workflow not named here is read by every role in its region. A household (kpm) holds its
# members' NIKs, birth dates and the mother's maiden name (the bank's KYC secret): staff read
# it by level (DOMAIN "Data and security duties": pendamping, kabupaten, provinsi, pusat),
# auditors and admins as everywhere, and the `system` actor of the imports and flows; not the
# ketua kelompok, an elected KPM of the group and not staff. For it a household does not
# exist, as a case outside its region does not. Its complaints stay readable.
# A staff member's KKN suspension and discipline record are personnel files: read by the
# offices that decide them and oversee them (kabupaten, provinsi, pusat), auditors, admins and
# `system`; not by a ketua kelompok (a KPM) nor a pendamping (a colleague, perhaps the one
# accused: what concerns them reaches them by letter and their own page's notice). The
# complaint that started a KKN case stays readable in its region as every complaint.
STAFF_FILE_READERS = frozenset({"kabupaten", "provinsi", "pusat", "auditor", "admin", "system"})
WORKFLOW_READERS: dict[str, frozenset[str]] = {
    "kpm": frozenset(
        {"pendamping", "kabupaten", "provinsi", "pusat", "auditor", "admin", "system"}
    ),
    "kkn": STAFF_FILE_READERS,
    "discipline": STAFF_FILE_READERS,
}


# Who may see a confidential reporter: officers at the case's handling level or above, in
# scope. Pendamping and ketua kelompok never do (the manual asks them to keep it secret), nor do
# auditors or admins.
LEVEL_RANK = {"ketua_kelompok": 0, "pendamping": 1, "kabupaten": 2, "pusat": 3}
VIEWER_RANK = {"kabupaten": 2, "provinsi": 2.5, "pusat": 3}
REPORTER_FIELDS = ("reporter_name", "reporter_contact")
MASK = "*** (dirahasiakan)"


def sees_reporter(actor: Actor | None, state: CaseState) -> bool:
    """None means a trusted local operator (the CLI without --actor). The person a complaint
    is about (its accused, or the staff member of a KKN or discipline case) never sees who
    reported them, confidential or not: a KPM reporting their own pendamping is the case
    retaliation would follow (DOMAIN: conflict of interest)."""
    if is_subject(actor, state):
        return False
    if actor is None or not state.attrs.get("confidential"):
        return True
    if actor.role not in VIEWER_RANK or not actor.covers(state.region):
        return False
    level = state.level or "pusat"
    return VIEWER_RANK[actor.role] >= LEVEL_RANK.get(level, 3)


def is_subject(actor: Actor | None, state: CaseState) -> bool:
    """Whether `actor` is the person the case is about (its accused, or the staff member of a
    KKN or discipline case): the reporter is hidden from them whatever the reporter asked."""
    if actor is None:
        return False
    return bool({name_key(actor.username), name_key(actor.staff_name)} & _subjects(state))


def _subjects(state: CaseState) -> set[str]:
    """Who the case is about, by account and by staff record name: the account recorded at
    filing, and the name the complaint or the staff case gives, which also catches an account
    linked to that staff record later, or a complaint filed before accounts were recorded."""
    a = state.attrs
    named = (a.get("subject_user"), a.get("subject"), a.get("staff_user"), a.get("staff"))
    return {n for n in map(name_key, named) if n}


# what the reporter asked of the office: not the business of the person complained about
# (whether they feared retaliation), who never sees the reporter either
SUBJECT_HIDDEN = frozenset({"confidential"})


def masked(values: Mapping[str, Any], *, subject: bool = False) -> dict[str, Any]:
    """A copy with the reporter's identity replaced, at any depth of nested dicts; for the
    person the case is about (`subject`, `is_subject`) also without whether the reporter asked
    for confidentiality."""
    out: dict[str, Any] = {}
    for k, v in values.items():
        if subject and k in SUBJECT_HIDDEN:
            continue
        if k in REPORTER_FIELDS and v:
            out[k] = MASK
        elif isinstance(v, Mapping):
            out[k] = masked(v, subject=subject)
        else:
            out[k] = v
    return out
