"""PKH roles, and how precise a user's region must be for each."""

from __future__ import annotations

from engine.errors import InvalidInput
from workflows.regions import UnknownRegion, get_region, normalize_region_code

ROLES = ("ketua_kelompok", "pendamping", "kabupaten", "provinsi", "pusat", "auditor", "admin")
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
        raise InvalidInput("role", f"unknown role '{role}'; expected one of: {', '.join(ROLES)}")
    digits = REGION_DIGITS[role]
    if not region:
        if digits is None or role == "auditor":
            return role, None
        raise InvalidInput(
            "region", f"role {role} needs a region code of {' or '.join(map(str, digits))} digits"
        )
    if digits is None:
        raise InvalidInput("region", f"role {role} is national and takes no region")
    try:
        code = get_region(normalize_region_code(region)).code
    except UnknownRegion as e:
        raise InvalidInput("region", str(e)) from None
    if len(code) not in digits:
        raise InvalidInput(
            "region",
            f"role {role} needs a region code of "
            f"{' or '.join(map(str, digits))} digits, got {code}",
        )
    return role, code
