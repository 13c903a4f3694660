"""Which letters exist, in which languages, and to whom each one is addressed."""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("id", "en")

# template name -> audience. Only "reporter" letters may carry the reporter's identity; the
# others go to officers or to the accused staff member, who must never learn who complained.
AUDIENCE: dict[str, str] = {
    "acknowledgement": "reporter",
    "extension_notice": "reporter",
    "forwarded_notice": "reporter",
    "result_letter": "reporter",
    "reminder_due_soon": "officer",
    "reminder_due_today": "officer",
    "reminder_overdue": "officer",
    "supervisor_overdue": "officer",
    "case_forwarded": "officer",
    "kkn_suspension": "staff",
    "kkn_outcome": "reporter",
    "kkn_decision": "staff",  # the finding, to the staff member it is about
    "discipline_letter": "staff",
}
TEMPLATES: tuple[str, ...] = tuple(AUDIENCE)
REPORTER_TEMPLATES: frozenset[str] = frozenset(t for t, a in AUDIENCE.items() if a == "reporter")
KKN_OUTCOMES: tuple[str, ...] = ("guilty", "not_guilty")


class UnknownTemplate(ValueError):
    """A template name or language the catalogue does not know."""


def check(template: str, lang: str) -> None:
    if template not in AUDIENCE:
        raise UnknownTemplate(
            f"unknown notification template {template!r}; expected one of: {', '.join(TEMPLATES)}"
        )
    if lang not in LANGUAGES:
        raise UnknownTemplate(
            f"unknown language {lang!r} for template {template!r}; "
            f"expected one of: {', '.join(LANGUAGES)}"
        )
