"""A new report form sent by an admin as a ``.toml`` document: checked like ``gridbot form
check``, the changes shown, then ✅ makes it the form from tomorrow."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes, MessageHandler, filters

from bot.dependencies import Dependencies
from bot.domain.form import FormError
from bot.form_changes import (
    FormChangeError,
    FormCheck,
    default_start,
    preview_lines,
)
from bot.telegram_ui import escape
from bot.usecases.forms import apply_form_change, check_form_change
from handlers.common import Turn
from handlers.roles import Roles

Context = ContextTypes.DEFAULT_TYPE

FORM_OK, FORM_NO = "adm:form:ok", "adm:form:no"
PENDING_FORM = "form_upload"
"""user_data key of a form document waiting for the admin's confirmation."""
MAX_FORM_BYTES = 256 * 1024
"""A form is a few kilobytes; anything this large is not one."""


class FormUpload:
    """The admin's form document and the ✅/✖️ that follows its preview."""

    def __init__(self, deps: Dependencies) -> None:
        self.deps = deps
        self.roles = Roles(deps)

    def handlers(self) -> dict[int, Sequence[BaseHandler[Any, Context, Any]]]:
        """Register before the roster upload, which takes any other document."""
        toml = filters.ChatType.PRIVATE & filters.Document.FileExtension("toml")
        return {
            0: [
                MessageHandler(toml, self.on_document),
                CallbackQueryHandler(self.on_answer, pattern=f"^({FORM_OK}|{FORM_NO})$"),
            ]
        }

    async def on_document(self, update: Update, context: Context) -> None:
        """Check the document and show what it would change, with ✅ / ✖️ when it is safe."""
        turn = Turn.of(update, self.deps)
        message = update.effective_message
        document = message.document if message else None
        if document is None or not await self.roles.admin(turn):
            return
        name = document.file_name or "form.toml"
        checked = await self._check(turn, context, document.file_id, name, document.file_size)
        if checked is None:
            return
        since = default_start(self.deps.today())
        lines = preview_lines(self.deps.forms, checked, name, since, self.deps.today(), turn.locale)
        head = turn.t("formversion.chat.preview_title", file=escape(name))
        body = "\n".join(escape(line) for line in lines)
        if checked.diff.unsafe:
            reason = escape(checked.diff.unsafe[0].render(turn.locale))
            await turn.say(f"{head}\n{body}\n\n{turn.t('formversion.chat.refused', reason=reason)}")
            return
        if checked.unchanged:
            await turn.say(turn.t("formversion.apply.unchanged", version=checked.current.number))
            return
        if context.user_data is not None:
            context.user_data[PENDING_FORM] = {"file_id": document.file_id, "name": name}
        day = since.isoformat()
        await turn.say(
            f"{head}\n{body}\n\n{turn.t('formversion.chat.confirm_prompt', day=day)}",
            [
                [
                    (turn.t("formversion.chat.confirm", day=day), FORM_OK),
                    (turn.t("formversion.chat.cancel"), FORM_NO),
                ]
            ],
        )

    async def on_answer(self, update: Update, context: Context) -> None:
        """✅ applies the document from tomorrow (checked again: the forms may have changed
        since the preview); ✖️ leaves the form as it is."""
        turn = Turn.of(update, self.deps)
        pending = await turn.pending_upload(
            context.user_data, key=PENDING_FORM, cancel_data=FORM_NO, messages="formversion.chat"
        )
        if pending is None:
            return
        name = str(pending["name"])
        checked = await self._check(turn, context, str(pending["file_id"]), name, None)
        if checked is None:
            return
        today = self.deps.today()
        try:
            version = await apply_form_change(
                self.deps, checked, since=default_start(today), actor=turn.user.id
            )
        except FormChangeError as error:
            reason = escape(error.render(turn.locale))
            await turn.say(turn.t("formversion.chat.refused", reason=reason))
            return
        day = default_start(today).isoformat() if version.since is None else version.since
        await turn.say(turn.t("formversion.apply.applied", version=version.number, day=str(day)))

    async def _check(
        self, turn: Turn, context: Context, file_id: str, name: str, size: int | None
    ) -> FormCheck | None:
        """Download and check the document; None after telling the admin what is wrong."""
        if (size or 0) > MAX_FORM_BYTES:
            await turn.say(
                turn.t(
                    "formversion.chat.too_large",
                    size=(size or 0) // 1024,
                    limit=MAX_FORM_BYTES // 1024,
                )
            )
            return None
        file = await context.bot.get_file(file_id)
        content = bytes(await file.download_as_bytearray())
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            await turn.say(turn.t("formversion.chat.unreadable"))
            return None
        try:
            return check_form_change(self.deps, text, name)
        except FormError as error:
            await turn.say(escape(error.render(turn.locale)))
            return None
