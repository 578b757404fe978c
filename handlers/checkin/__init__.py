"""The check-in conversation in a worker's private chat.

Detailed report (one question per field), zero report (two taps), fill-in template, and
corrections of the last ``GRIDBOT_CORRECTION_DAYS`` days. The draft is kept in ``user_data``
(persisted in SQLite), the state in a persistent ConversationHandler, so a restart loses
nothing. Every button carries the draft id and the step it belongs to, so a button from an
older message answers "expired".

The package is split by part of the conversation: :mod:`.flow` assembles the handler;
:mod:`.filling` starts the detailed report and takes its answers, asked by :mod:`.questions`
or through :mod:`.template`; then :mod:`.incidents` and :mod:`.summary`; :mod:`.zero` is the
zero report, :mod:`.corrections` editing and corrections, :mod:`.buttons` the button
dispatcher; :mod:`.entry` and :mod:`.shared` are what they have in common.
"""

from handlers.checkin.flow import CheckinFlow

__all__ = ["CheckinFlow"]
