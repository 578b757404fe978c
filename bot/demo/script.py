"""The day's script: who does what, and when, on each demo day.

Each day the special parts (an urgent incident, a slip corrected, a template, a late filer,
a grid that never reports, a correction, two zero reports) go to different grids, drawn
from the seeded generator; every other grid files a detailed report during the day. The
correction is of yesterday's report when the grid filed one (figures are usually corrected
the next day), else of today's.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, time

from bot.demo.lines import ORDINARY_INCIDENTS, URGENT_INCIDENT
from bot.demo.people import Behaviour, ReportPlan, Worker, plan_answers
from bot.domain.form import Form

SPECIAL_PARTS = (
    Behaviour.URGENT,
    Behaviour.TYPO,
    Behaviour.TEMPLATE,
    Behaviour.LATE,
    Behaviour.MISSING,
    Behaviour.CORRECTS,
    Behaviour.ZERO,
    Behaviour.ZERO,
    Behaviour.PAGE,
)
"""Handed out first each day; the remaining grids file detailed reports."""
ORDINARY_INCIDENT_CHANCE = 0.15
CORRECTION_DELTA = 30
URGENT_FILED_AT = time(10, 12)
ACKNOWLEDGED_AT = time(10, 25)
CORRECTED_AT = time(16, 5)
LATE_FILED_AT = time(17, 25)

Act = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Move:
    """Something a simulated person does at a time of day."""

    at: time
    act: Act


@dataclass(frozen=True, slots=True)
class Part:
    """A grid's part on one day: what its reporting worker does."""

    behaviour: Behaviour
    worker: Worker


def cast_parts(grids: Sequence[Sequence[Worker]], rng: random.Random) -> list[Part]:
    """One part per grid (given as its workers), special parts first to random grids."""
    order = list(range(len(grids)))
    rng.shuffle(order)
    behaviours = [*SPECIAL_PARTS, *([Behaviour.DETAILED] * len(grids))]
    parts: dict[int, Part] = {}
    for behaviour, index in zip(behaviours, order, strict=False):
        parts[index] = Part(behaviour, rng.choice(list(grids[index])))
    return [parts[index] for index in range(len(grids))]


def worker_moves(part: Part, form: Form, rng: random.Random, correction_day: date) -> list[Move]:
    """What the part's worker does today, and when (a correction is of ``correction_day``)."""
    worker = part.worker
    answers = plan_answers(form, rng, worker.locale)
    plan = ReportPlan(answers)
    match part.behaviour:
        case Behaviour.MISSING:
            return []
        case Behaviour.ZERO:
            return [Move(_between(rng, time(8, 5), time(8, 55)), worker.file_zero)]
        case Behaviour.TEMPLATE:
            return [Move(_between(rng, time(11, 0), time(12, 0)), _report(worker, plan, True))]
        case Behaviour.TYPO:
            plan = ReportPlan(answers, typo_on=form.counts()[0].key)
            return [Move(_between(rng, time(9, 5), time(9, 55)), _report(worker, plan))]
        case Behaviour.URGENT:
            plan = ReportPlan(_with_fever(answers, form), URGENT_INCIDENT)
            return [Move(URGENT_FILED_AT, _report(worker, plan))]
        case Behaviour.LATE:
            return [Move(LATE_FILED_AT, _report(worker, plan))]
        case Behaviour.CORRECTS:
            return _file_then_correct(worker, plan, form, rng, correction_day)
        case Behaviour.PAGE:
            return [Move(_between(rng, time(8, 30), time(9, 30)), _on_one_screen(worker, plan))]
        case Behaviour.DETAILED:
            if rng.random() < ORDINARY_INCIDENT_CHANCE:
                plan = ReportPlan(answers, rng.choice(ORDINARY_INCIDENTS))
            return [Move(_between(rng, time(9, 0), time(14, 30)), _report(worker, plan))]


def _report(worker: Worker, plan: ReportPlan, template: bool = False) -> Act:
    async def act() -> None:
        await worker.file_report(plan, template=template)

    return act


def _on_one_screen(worker: Worker, plan: ReportPlan) -> Act:
    async def act() -> None:
        await worker.file_on_one_screen(plan)

    return act


def _file_then_correct(
    worker: Worker, plan: ReportPlan, form: Form, rng: random.Random, day: date
) -> list[Move]:
    async def correct() -> None:
        await worker.correct(form.counts()[0].key, day, CORRECTION_DELTA)

    filed_at = _between(rng, time(9, 0), time(10, 0))
    return [Move(filed_at, _report(worker, plan)), Move(CORRECTED_AT, correct)]


def _with_fever(answers: dict[str, str], form: Form) -> dict[str, str]:
    """The urgent case is also a fever case found today, and referred."""
    fever = {key: "1" for key in ("fever_found", "fever_referred") if form.has_field(key)}
    return {**answers, **fever}


def _between(rng: random.Random, start: time, end: time) -> time:
    """A time on a five-minute step between ``start`` and ``end``."""
    first, last = start.hour * 60 + start.minute, end.hour * 60 + end.minute
    minutes = rng.randrange(first, last + 1, 5)
    return time(minutes // 60, minutes % 60)
