"""Urgent incidents become alert records in the same transaction that stores them.

The alert rows are an outbox: a report and its urgent alerts are committed together, and
sending works from the rows (an alert without posts is still to be sent: right after the
filing, and on every scheduler tick until it is posted), so a crash between storing a report
and posting its alert never loses the alert.
"""

from __future__ import annotations

from datetime import datetime

from bot.domain.form import Form
from storage.alerts import Alert
from storage.db import Database


def urgent_categories(form: Form) -> frozenset[str]:
    """The incident categories the form marks as always urgent."""
    return frozenset(item.key for item in form.incident_categories if item.urgent)


async def record_alerts(db: Database, form: Form, report_id: int, at: datetime) -> list[Alert]:
    """Record the alerts of the report's current version; call it inside the unit of work
    that stored that version."""
    return await db.alerts.raise_new(report_id, urgent_categories=urgent_categories(form), at=at)
