"""Renders a notification template (subject, plain text, HTML, SMS) in Indonesian or English.

Templates live in `notifications/templates/<lang>/<name>.{subject.txt,txt,html,sms.txt}`; files
starting with `_` are shared layouts, not templates of their own. Only `.html` is autoescaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from notifications.catalog import LANGUAGES, TEMPLATES, UnknownTemplate, check
from notifications.labels import PAGE

__all__ = [
    "LANGUAGES",
    "TEMPLATES",
    "Rendered",
    "UnknownTemplate",
    "render",
    "render_letter_page",
]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    sms: str


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATE_DIR),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["working_days"] = working_days
    return env


def working_days(n: object) -> str:
    """English: '1 working day', '2 working days' (Indonesian 'hari kerja' has no plural)."""
    return f"{n} working day" + ("" if str(n) == "1" else "s")


def _render(path: str, context: Mapping[str, Any]) -> str:
    return environment().get_template(path).render(dict(context))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, one final newline."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"


def _drop_blank_lines(html: str) -> str:
    # Text inside HTML carries its line breaks as <br>, so blank source lines are only noise.
    return "\n".join(line for line in html.splitlines() if line.strip()) + "\n"


def render(template: str, lang: str, context: Mapping[str, Any]) -> Rendered:
    check(template, lang)
    base = f"{lang}/{template}"
    return Rendered(
        subject=_one_line(_render(f"{base}.subject.txt", context)),
        text=_tidy(_render(f"{base}.txt", context)),
        html=_drop_blank_lines(_render(f"{base}.html", context)),
        sms=_one_line(_render(f"{base}.sms.txt", context)),
    )


def render_letter_page(template: str, lang: str, context: Mapping[str, Any]) -> str:
    """A complete, printable A4 HTML page for a letter that goes out on paper."""
    check(template, lang)
    subject = _one_line(_render(f"{lang}/{template}.subject.txt", context))
    # The page's header says the date, number and subject: the letter body leaves out its own
    # (`on_page`), so a text reader or screen reader meets them once, not hidden by CSS.
    body = _drop_blank_lines(_render(f"{lang}/{template}.html", {**context, "on_page": True}))
    page = {
        **context,
        "subject": subject,
        "body": Markup(body),  # already escaped when the letter body was rendered
        "labels": PAGE[lang],
    }
    return _render("_page.html", page)
