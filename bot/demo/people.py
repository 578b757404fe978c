"""Simulated grid workers: they read what the bot asks and answer it, as a person would.

A worker never calls the application directly: they look at the newest message in their
chat, recognise the question (by the field's one-line definition, as a person would by its
wording) or the buttons on offer (by their label in the user's language), and type or tap.
Their own slips are part of the script: a placeholder ``x`` and a full-width number.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from bot.demo.acting import DemoError, Stage, button_labels
from bot.demo.browser import BrowserUnavailable, fill_in_with_chromium, telegram_stub
from bot.demo.lines import CORRECTION_REASON, DIFFICULTIES, PLACEHOLDER, IncidentLine
from bot.demo.page import PageRefused, fill_in_on_one_screen
from bot.demo.world import DemoGrid, Person, pick
from bot.domain.form import FieldDef, Form
from bot.emulator import SentMessage, SimUser
from bot.i18n import Locale, t

MAX_TURNS = 60
"""More steps than any report takes: beyond it the worker is going round in circles."""
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


class Behaviour(StrEnum):
    """What a grid's worker does on a day."""

    DETAILED = "detailed"
    ZERO = "zero"
    TEMPLATE = "template"
    TYPO = "typo"
    """Types ``x``, then a full-width number after the bot's error message."""
    URGENT = "urgent"
    """Reports an urgent incident in the morning."""
    LATE = "late"
    """Files after the deadline, once nagged."""
    MISSING = "missing"
    """Never reports: escalated at the escalation time."""
    PAGE = "page"
    """Fills in the whole report on one screen (the Mini App) instead of in chat."""
    CORRECTS = "corrects"
    """Files in the morning; in the afternoon corrects a figure, with a reason, of
    yesterday's report (or today's, on the first day)."""


@dataclass(frozen=True, slots=True)
class ReportPlan:
    """What a worker will answer today: a value per question key, openings, an incident."""

    answers: Mapping[str, str]
    incident: IncidentLine | None = None
    typo_on: str | None = None
    """The question first answered with a placeholder, then with a full-width number."""


def plan_answers(form: Form, rng: random.Random, locale: Locale) -> dict[str, str]:
    """Plausible answers for every question and opening balance, consistent with the rules."""
    values: dict[str, int] = {}
    for question in form.questions():
        if question.kind == "count":
            values[question.key] = _draw(question.key, values, rng)
    answers = {key: str(value) for key, value in values.items()}
    for stock in form.stocks():
        answers[f"{stock.key}.opening"] = str(rng.randrange(*_OPENINGS.get(stock.key, (0, 5))))
    for question in form.questions():
        if question.kind == "text":
            answers[question.key] = (
                pick(rng.choice(DIFFICULTIES), locale) if rng.random() < 0.3 else ""
            )
        elif question.kind == "choice":
            answers[question.key] = question.choices[0].label(locale)
    return answers


_OPENINGS = {"home_isolation": (18, 60), "central_isolation": (0, 6)}
_RANGES = {
    "screened": (80, 400),
    "households_visited": (20, 150),
    "arrivals": (0, 6),
    "home_iso_in": (0, 4),
    "close_contacts": (0, 1),
    "disinfection": (1, 3),
}
"""Typical daily figures of a grid."""
_PARTS = {
    "arrivals_risk": ("arrivals", 0.15),
    "home_iso_out": ("home_iso_in", 0.7),
    "central_iso_in": ("arrivals_risk", 0.5),
    "central_iso_out": ("central_iso_in", 0.5),
    "fever_referred": ("fever_found", 1.0),
}
"""Figures drawn as a share of another (each counted with that chance), so "of which" never
exceeds the whole and a release never exceeds what came in."""
FEVER_CHANCE = 0.1


def _draw(key: str, drawn: Mapping[str, int], rng: random.Random) -> int:
    if key in _PARTS:
        whole, chance = _PARTS[key]
        return sum(rng.random() < chance for _ in range(drawn.get(whole, 0)))
    if key == "fever_found":
        return int(rng.random() < FEVER_CHANCE)
    low, high = _RANGES.get(key, (0, 0))
    return rng.randint(low, high)


@dataclass
class _Progress:
    """Where a worker is in a report: what they just typed and how often they answered
    each question, whether the incident is told."""

    typed: str | None = None
    described: bool = False
    attempts: dict[str, int] = field(default_factory=dict)


@dataclass
class Worker:
    """One grid worker with their Telegram account, acting through the stage."""

    stage: Stage
    person: Person
    grid: DemoGrid
    user: SimUser
    form: Form
    locale: Locale

    @property
    def name(self) -> str:
        return self.person.name_in(self.locale)

    def label(self, key: str) -> str:
        """A button's text in this worker's language."""
        return t(self.locale, f"button.{key}")

    # what a worker does ----------------------------------------------------------------------

    async def say_hello(self) -> None:
        """Open the bot for the first time (/start)."""
        await self.stage.send(self.user, "/start")

    async def file_zero(self) -> None:
        """A zero report: open it, check the preview, confirm."""
        await self._open("zero", "/zero")
        await self._tap("zero_confirm")

    async def file_report(self, plan: ReportPlan, *, template: bool = False) -> None:
        """A detailed report, question by question or with the fill-in template."""
        if template:
            await self._open("template", "/template")
        else:
            await self._open("fill_in", "/report")
        await self._converse(plan)

    async def file_on_one_screen(self, plan: ReportPlan) -> None:
        """Tap "fill in on one screen" on the bot's newest message, fill in the page, submit."""
        launch, tapped = self.stage.open_page(self.user, t(self.locale, "webapp.button"))
        try:
            answered = await self._in_chromium(launch.init_data, plan)
        except BrowserUnavailable:
            answered = None
        try:
            if answered is None:  # no browser here: what the page's script would send
                answered = await fill_in_on_one_screen(
                    self.stage.page_url, launch.init_data, self.locale, plan.answers, plan.incident
                )
        except PageRefused as refused:
            raise self._lost(str(refused)) from None
        self.stage.note(
            self.user, t(self.locale, "demo.webapp.filled", count=answered), after=tapped + 0.75
        )

    async def _in_chromium(self, init_data: str, plan: ReportPlan) -> int:
        """The page in a headless Chromium (BrowserUnavailable where there is none)."""
        keys = [f"{stock.key}.opening" for stock in self.form.stocks()]
        keys += [question.key for question in self.form.questions()]
        incident = plan.incident
        described = (
            None
            if incident is None
            else (incident.category, incident.urgent, pick(incident.description, self.locale))
        )
        stub = telegram_stub(init_data, self.user.user)
        return await asyncio.to_thread(
            fill_in_with_chromium, self.stage.page_url, stub, keys, plan.answers, described
        )

    async def correct(self, key: str, day: date, added: int) -> None:
        """Correct one figure of ``day``'s report (``added`` more than filed), with a reason."""
        await self.stage.send(self.user, f"/correct {day.isoformat()}")
        prefix = f"{self.form.field(key).label(self.locale)}: "
        choice = next((b for b in self._buttons() if b.startswith(prefix)), None)
        if choice is None:
            raise self._lost(f"no button for {key}")
        filed = choice.removeprefix(prefix)
        await self.stage.tap(self.user, choice)
        await self.stage.send(self.user, str((int(filed) if filed.isdigit() else 0) + added))
        if self.label("soft_yes") in self._buttons():
            await self._tap("soft_yes")  # "are you sure?" (e.g. far above the usual): yes
        await self._tap("give_reason")
        await self.stage.send(self.user, pick(CORRECTION_REASON, self.locale))
        await self._tap("submit_correction")

    # the conversation ------------------------------------------------------------------------

    async def _open(self, menu: str, command: str) -> None:
        """Tap the menu button on the bot's newest message if it offers one, else type."""
        if self.label(menu) in self._buttons():
            await self._tap(menu)
        else:
            await self.stage.send(self.user, command)

    async def _converse(self, plan: ReportPlan) -> None:
        """Answer whatever the bot asks until the report is submitted."""
        progress = _Progress()
        for _ in range(MAX_TURNS):
            if await self._step(self.user.last(), plan, progress):
                return
        raise self._lost(f"still not done after {MAX_TURNS} steps")

    async def _step(self, message: SentMessage, plan: ReportPlan, progress: _Progress) -> bool:
        """One move in reply to the bot's newest message; True once the report is submitted."""
        offered = button_labels(message)
        typed, progress.typed = progress.typed, None
        if self.label("submit") in offered:
            await self._tap("submit")
            return True
        if self.label("soft_yes") in offered:
            await self._tap("soft_yes")  # "are you sure?": yes, the figure is right
        elif self._is_template(message):
            await self.stage.send(self.user, self._fill_template(message, plan.answers))
        elif (key := self._question(message)) is not None:
            progress.typed = await self._answer(key, plan, progress)
        elif offered:
            await self._incident_button(offered, plan.incident)
        elif plan.incident is not None and not progress.described:
            await self.stage.send(self.user, pick(plan.incident.description, self.locale))
            progress.described = True
        elif typed is not None:  # the bot refused the typed answer: read the error, retry
            progress.typed = await self._answer(typed, plan, progress)
        else:
            raise self._lost("unexpected message")
        return False

    async def _incident_button(self, offered: list[str], incident: IncidentLine | None) -> None:
        """The incidents part: none, or one incident with its category and urgency."""
        if self.label("no_incidents") in offered:
            await self._tap("add_incident" if incident else "no_incidents")
        elif self.label("incidents_done") in offered:
            await self._tap("incidents_done")
        elif incident is not None and self._category(incident) in offered:
            await self.stage.tap(self.user, self._category(incident))
        elif incident is not None and self.label("urgent_yes") in offered:
            await self._tap("urgent_yes" if incident.urgent else "urgent_no")
        else:
            raise self._lost(f"unexpected buttons {offered}")

    async def _answer(self, key: str, plan: ReportPlan, progress: _Progress) -> str | None:
        """Answer question ``key``; returns it when the answer was typed (it may be refused)."""
        attempt = progress.attempts.get(key, 0)
        progress.attempts[key] = attempt + 1
        if attempt > 1:
            raise self._lost(f"the answer to {key} was refused twice")
        answer = plan.answers.get(key, "0")
        if key == plan.typo_on:
            answer = PLACEHOLDER if attempt == 0 else answer.translate(FULL_WIDTH)
        if answer == "" and self.label("skip") in self._buttons():
            await self._tap("skip")
            return None
        await self.stage.send(self.user, answer or "0")
        return key

    def _question(self, message: SentMessage) -> str | None:
        """The question key (``<stock>.opening`` for an opening balance) being asked, if any."""
        text = message.plain_text or ""
        for stock in self.form.stocks():
            if stock.help(self.locale) in text:
                return f"{stock.key}.opening"
        for question in self.form.questions():
            if question.help(self.locale) in text:
                return question.key
        return None

    def _is_template(self, message: SentMessage) -> bool:
        header = t(
            self.locale,
            "form.template.header",
            grid=pick(self.grid.name, self.locale),
            day=self._today().isoformat(),
        )
        return (message.plain_text or "").startswith(header)

    def _fill_template(self, message: SentMessage, answers: Mapping[str, str]) -> str:
        """The template with an answer after each ``label：``."""
        lines = []
        for line in (message.plain_text or "").splitlines():
            question = self._template_field(line)
            value = "" if question is None else answers.get(question.key, "0")
            lines.append(line + value)
        return "\n".join(lines)

    def _template_field(self, line: str) -> FieldDef | None:
        """The question of a ``label：`` line (the longest label that starts it)."""
        if not line.rstrip().endswith((":", "：")):
            return None
        matches = [q for q in self.form.questions() if line.startswith(q.label(self.locale))]
        return max(matches, key=lambda q: len(q.label(self.locale)), default=None)

    def _category(self, incident: IncidentLine) -> str:
        return self.form.category(incident.category).label(self.locale)

    async def _tap(self, button: str) -> None:
        await self.stage.tap(self.user, self.label(button))

    def _buttons(self) -> list[str]:
        inbox = self.user.inbox()
        return button_labels(inbox[-1]) if inbox else []

    def _today(self) -> date:
        return self.stage.clock.now().date()

    def _lost(self, what: str) -> DemoError:
        inbox = self.user.inbox()
        last = inbox[-1].plain_text if inbox else None
        return DemoError(
            f"{self.name} ({self.grid.code}): {what}; the bot's last message: {last!r}"
        )
