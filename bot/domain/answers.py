"""Reading one typed answer for a form field: the single parser behind the conversation,
the fill-in template and supervisors' one-line corrections."""

from __future__ import annotations

import re
from typing import Final

from bot.domain.form import FieldDef, Text, normalise_label
from bot.domain.models import FieldValue
from bot.domain.numbers import InputError, parse_count

PERSONAL_DATA = re.compile(r"(?<!\d)(1[3-9]\d{9}|\d{17}[\dXx])(?!\d)")
"""Mobile phone and resident ID numbers: reports name residents by initials only."""

INCIDENT_MAX_CHARS: Final = 300
"""The longest incident description (time, place, what happened, what was done)."""


def parse_answer(field: FieldDef, raw: str) -> FieldValue:
    """The value of ``raw`` for ``field`` (a count, a choice key or text), or InputError."""
    if field.kind == "count":
        return parse_count(raw, minimum=field.min, maximum=field.max)
    if field.kind == "choice":
        return _choice(field, raw)
    return check_text(field, raw.strip())


def _choice(field: FieldDef, raw: str) -> str:
    wanted = normalise_label(raw)
    for choice in field.choices:
        if wanted in {
            normalise_label(name) for name in (choice.key, choice.label.zh, choice.label.en)
        }:
            return choice.key
    options = Text(
        zh="、".join(choice.label.zh for choice in field.choices),
        en=", ".join(choice.label.en for choice in field.choices),
    )
    raise InputError("form.error.choice", {"text": raw, "choices": options})


def check_text(field: FieldDef, text: str) -> str | None:
    """Free text: present when required, not too long, no phone or ID numbers."""
    if not text:
        if field.required:
            raise InputError("form.error.text_empty")
        return None
    if len(text) > field.max_length:
        raise InputError("form.error.text_too_long", length=len(text), max_length=field.max_length)
    refuse_personal_data(text)
    return text


def refuse_personal_data(text: str) -> None:
    """Raise InputError when ``text`` carries a phone or resident ID number."""
    if PERSONAL_DATA.search(text):
        raise InputError("form.error.personal_data")


def check_incident_description(text: str) -> str:
    """An incident's description: present, not too long, no phone or ID numbers."""
    text = text.strip()
    if not text:
        raise InputError("form.error.text_empty")
    if len(text) > INCIDENT_MAX_CHARS:
        raise InputError("checkin.incident_too_long", length=len(text), max=INCIDENT_MAX_CHARS)
    refuse_personal_data(text)
    return text
