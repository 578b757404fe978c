"""A report being filled in: what has been answered and what to ask next.

The draft lives in PTB's ``user_data`` (persisted in SQLite by storage.persistence) as its
JSON text: an immutable string, so the deep copy PTB makes of ``user_data`` before saving it
copies a reference, not the whole draft. :class:`Draft` validates it back on every update.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, MutableMapping, Sequence
from datetime import date
from typing import Any, Final, Literal

from pydantic import BaseModel, ValidationError

from bot.domain.form import Form
from bot.domain.models import FieldValue, Incident, Report, ReportKind, ReportVersion, Values
from bot.domain.rules import RuleContext, Violation
from bot.domain.stocks import applies, fill_skipped, zero_values

DRAFT_KEY: Final = "draft"
"""Where a worker's draft is kept in PTB's ``user_data``: the chat and the page share it."""
ZERO_KEY: Final = "zero"
"""A zero report waiting for its confirmation tap (dropped with the draft)."""
REVISION_KEY: Final = "draft_revision"
"""How many times the worker's draft has changed: see :func:`draft_revision`."""

BASELINE_SUFFIX = ".opening"
"""Draft.current is ``<stock>.opening`` while the opening balance of a stock is being asked."""


class DraftIncident(BaseModel):
    """An incident as entered in the conversation."""

    category: str
    description: str = ""
    urgent: bool = False

    def to_incident(self) -> Incident:
        """The domain value stored with the report."""
        return Incident(self.category, self.description, self.urgent)


class Draft(BaseModel):
    """Everything typed so far for one grid-day, plus what is needed to validate it."""

    id: str
    day: date
    grid_id: int
    grid_name: str = ""
    mode: Literal["new", "correct"] = "new"
    report_id: int | None = None
    base_version: int | None = None
    """The version a correction started from: submitting it fails if the report moved on."""
    original_kind: ReportKind = ReportKind.DETAILED
    step: int = 0
    via_template: bool = False
    incidents_done: bool = False
    values: dict[str, FieldValue] = {}
    original: dict[str, FieldValue] = {}
    original_incidents: list[DraftIncident] = []
    baseline: dict[str, int] = {}
    pending_baseline: list[str] = []
    openings: dict[str, int] = {}
    grid_facts: dict[str, int | None] = {}
    history: dict[str, list[int]] = {}
    current: str | None = None
    pending_rules: list[str] = []
    confirmed: list[str] = []
    incidents: list[DraftIncident] = []
    new_incident: DraftIncident | None = None
    reason: str | None = None
    form_version: int | None = None
    """The form version the draft was started under (None: before form versions)."""

    @classmethod
    def start(cls, *, day: date, grid_id: int, **fields: Any) -> Draft:
        """A fresh draft with an unguessable id (used in its buttons' callback data)."""
        return cls(id=secrets.token_hex(3), day=day, grid_id=grid_id, **fields)

    @classmethod
    def from_data(cls, data: object) -> Draft | None:
        """Load a stored draft (its JSON text, or the dict drafts were kept as before);
        anything unreadable counts as no draft."""
        try:
            if isinstance(data, str):
                return cls.model_validate_json(data)
            if isinstance(data, dict):
                return cls.model_validate(data)
        except ValidationError:
            return None
        return None

    def to_data(self) -> str:
        """The draft's JSON text, for ``user_data``."""
        return self.model_dump_json()

    def rebase(self, current: ReportVersion) -> None:
        """Move a correction onto the report's newer ``current`` version: what this draft
        changed stays changed, everything else becomes what ``current`` says."""
        mine = {key: value for key, value in self.values.items() if self.original.get(key) != value}
        incidents_changed = self.incidents != self.original_incidents
        current_incidents = [
            DraftIncident(category=item.category, description=item.description, urgent=item.urgent)
            for item in current.incidents
        ]
        self.values = {**current.values, **mine}
        self.original = dict(current.values)
        self.original_kind = current.kind
        self.original_incidents = current_incidents
        if not incidents_changed:
            self.incidents = list(current_incidents)
        self.baseline = dict(current.baseline)
        self.base_version = current.version

    # --- transitions: every change the conversation makes goes through one of these --------

    def for_correction(self, report: Report) -> None:
        """Turn this fresh draft into a correction of ``report``'s current version: its
        answers, incidents and opening balances, remembered as the original."""
        current = report.current
        incidents = [
            DraftIncident(category=item.category, description=item.description, urgent=item.urgent)
            for item in current.incidents
        ]
        self.mode = "correct"
        self.report_id = report.id
        self.base_version = current.version
        self.values = dict(current.values)
        self.original = dict(current.values)
        self.original_kind = current.kind
        self.baseline = dict(current.baseline)
        self.pending_baseline = []
        self.incidents = incidents
        self.original_incidents = list(incidents)
        self.incidents_done = True

    def next_step(self) -> None:
        """A new message with buttons is shown: the buttons of earlier ones expire."""
        self.step += 1

    def ask(self, key: str) -> None:
        """``key`` is asked now (a question, or ``<stock>.opening``)."""
        self.current = key
        self.next_step()

    def done_asking(self) -> None:
        """No question is open (the incidents or the summary come next)."""
        self.current = None

    def doubt(self, violations: Sequence[Violation]) -> None:
        """The last answer raised soft warnings: keep it, or answer again?"""
        self.pending_rules = [self.confirmation_key(item) for item in violations]
        self.next_step()

    def keep_doubted(self) -> None:
        """The worker keeps the doubted answer: its warnings count as confirmed."""
        self.confirmed += self.pending_rules
        self.pending_rules = []

    def drop_doubted(self) -> str | None:
        """The worker answers again: forget the doubted answer; the question to ask again."""
        self.pending_rules = []
        if self.current is not None:
            self.values.pop(self.current, None)
        return self.current

    def confirm(self, violations: Sequence[Violation]) -> None:
        """Submitting confirms every soft warning the summary showed."""
        self.confirmed += [self.confirmation_key(item) for item in violations]

    def use_template(self, on: bool = True) -> None:
        """Fill the rest in one message (a template), or one question at a time."""
        self.via_template = on

    def take_template(self, values: Values) -> None:
        """A filled-in template's values replace the answers."""
        self.values = dict(values)
        self.via_template = False
        self.current = None

    def no_more_incidents(self) -> None:
        """The worker has nothing (more) to report as incidents."""
        self.incidents_done = True

    def start_incident(self, category: str) -> None:
        """A new incident of ``category`` is being entered."""
        self.new_incident = DraftIncident(category=category)

    def describe_incident(self, text: str, *, always_urgent: bool) -> None:
        """The description of the incident being entered (urgent if its category is)."""
        if self.new_incident is not None:
            self.new_incident.description = text
            self.new_incident.urgent = self.new_incident.urgent or always_urgent

    def mark_urgent(self, urgent: bool) -> None:
        """Whether the incident being entered is urgent."""
        if self.new_incident is not None:
            self.new_incident.urgent = urgent

    def add_incident(self) -> None:
        """The incident being entered joins the list."""
        if self.new_incident is not None:
            self.incidents.append(self.new_incident)
            self.new_incident = None

    def reopen_incidents(self) -> None:
        """Enter the incidents again from scratch."""
        self.incidents = []
        self.incidents_done = False

    def take_back(self, key: str) -> None:
        """The answer to ``key`` is withdrawn (cleared in the one-screen page): a question is
        unanswered again, an opening balance is to be given again."""
        if key.endswith(BASELINE_SUFFIX):
            stock = key.removesuffix(BASELINE_SUFFIX)
            if self.baseline.pop(stock, None) is not None and stock not in self.pending_baseline:
                self.pending_baseline.append(stock)
            return
        self.values.pop(key, None)

    def replace_incidents(self, incidents: Sequence[DraftIncident]) -> None:
        """The incidents as listed in the one-screen page (all of them, at once)."""
        self.incidents = list(incidents)
        self.incidents_done = True

    def give_reason(self, reason: str) -> None:
        """Why the report is corrected."""
        self.reason = reason

    def rule_context(self) -> RuleContext:
        """What the validation rules need besides the values."""
        return RuleContext(openings=self.all_openings(), grid=self.grid_facts, history=self.history)

    def all_openings(self) -> dict[str, int]:
        """Opening balances: derived from history, overridden by what the worker typed."""
        return {**self.openings, **self.baseline}

    def incident_values(self) -> tuple[Incident, ...]:
        """Incidents as domain values."""
        return tuple(item.to_incident() for item in self.incidents)

    def confirmation_key(self, violation: Violation) -> str:
        """Identifies one soft warning about particular figures, so it is confirmed once."""
        figures = ",".join(f"{key}={self.values.get(key)}" for key in violation.fields)
        return f"{violation.rule_id}:{figures}"

    def unconfirmed(self, violations: list[Violation]) -> list[Violation]:
        """Soft warnings the worker has not yet confirmed."""
        return [
            item
            for item in violations
            if item.severity == "soft" and self.confirmation_key(item) not in self.confirmed
        ]


def next_question(form: Form, draft: Draft) -> str | None:
    """The next thing to ask: a missing opening balance first, then unanswered questions."""
    if draft.pending_baseline:
        return draft.pending_baseline[0] + BASELINE_SUFFIX
    openings = draft.all_openings()
    for field in form.questions():
        if field.key in draft.values:
            continue
        if applies(form, field, draft.values, openings, draft.grid_facts):
            return field.key
    return None


def asked_fields(form: Form, draft: Draft) -> list[str]:
    """Question keys that apply to this draft, in form order (for progress and editing)."""
    openings = draft.all_openings()
    return [
        field.key
        for field in form.questions()
        if applies(form, field, draft.values, openings, draft.grid_facts)
    ]


def record_answer(draft: Draft, key: str, value: FieldValue) -> None:
    """Store an answer (an opening balance when ``key`` ends in ``.opening``)."""
    if key.endswith(BASELINE_SUFFIX):
        stock = key.removesuffix(BASELINE_SUFFIX)
        draft.baseline[stock] = int(value or 0)
        if stock in draft.pending_baseline:
            draft.pending_baseline.remove(stock)
        return
    draft.values[key] = value


def drop_inapplicable(form: Form, draft: Draft) -> None:
    """Forget answers to questions that no longer apply after an edit (they become skipped)."""
    openings = draft.all_openings()
    for field in form.questions():
        if field.key in draft.values and not applies(
            form, field, draft.values, openings, draft.grid_facts
        ):
            del draft.values[field.key]


def final_values(form: Form, draft: Draft) -> Values:
    """The values as they would be filed: skipped questions filled in from the others."""
    return fill_skipped(form, draft.values, draft.all_openings(), draft.grid_facts)


def report_kind(form: Form, draft: Draft, values: Values) -> ReportKind:
    """A correction keeps a zero report a zero report only while it still says nothing."""
    if (
        draft.mode == "correct"
        and draft.original_kind == ReportKind.ZERO
        and values == fill_skipped(form, zero_values(form), draft.all_openings(), draft.grid_facts)
        and not draft.incidents
    ):
        return ReportKind.ZERO
    return ReportKind.DETAILED


# --- the draft in ``user_data``: every change goes through these, one revision on ---------


def draft_revision(data: Mapping[Any, Any]) -> int:
    """The revision of the draft kept in ``data`` (a user's ``user_data``): it goes up by one
    with every change of the worker's draft, whoever makes it (the chat or the page).

    The page may get the replies to two answers in either order, and applies a state only if
    its revision is newer than the last one it applied. So the number must never go back:

    - it is kept in ``user_data`` next to the draft, not in the draft, so a draft dropped
      (filed, cancelled) and a new one started for the same day carry on counting;
    - the chat and the page both change the draft through :func:`keep_draft` and
      :func:`drop_draft`, so a chat answer in between counts as well;
    - it is persisted with ``user_data`` in the same write as the draft it numbers, and the
      page is shown only revisions already in the database, so after a restart it goes on
      from the last one the page can have seen. A process-wide stamp (a clock, a counter
      per run) would not do: clocks are set back, and a counter in memory starts at zero.
    """
    value = data.get(REVISION_KEY)
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def keep_draft(data: MutableMapping[Any, Any], draft: Draft) -> int:
    """Keep ``draft`` as the worker's draft in ``data``; returns its revision (one on if the
    draft changed, so keeping an unchanged draft writes nothing more to the database)."""
    text = draft.to_data()
    if data.get(DRAFT_KEY) != text:
        data[DRAFT_KEY] = text
        data[REVISION_KEY] = draft_revision(data) + 1
    return draft_revision(data)


def drop_draft(data: MutableMapping[Any, Any]) -> None:
    """Drop the worker's draft (one revision on, if there was one) and any pending zero
    report."""
    if data.pop(DRAFT_KEY, None) is not None:
        data[REVISION_KEY] = draft_revision(data) + 1
    data.pop(ZERO_KEY, None)
