"""Admins granted in chat (on top of GRIDBOT_ADMINS): grant, revoke, list, and the first
message of a user granted by @username, which records their id."""

from __future__ import annotations

from dataclasses import dataclass

from bot.dependencies import Dependencies
from bot.usecases.roster import worker_by_username
from storage.admins import AdminGrant


@dataclass(frozen=True, slots=True)
class AdminTarget:
    """Whom a grant or revocation names: a Telegram id, an @username, or both."""

    telegram_id: int | None
    username: str | None

    @property
    def shown(self) -> str:
        """``@name (id)``, ``@name`` or ``id``."""
        name = (self.username or "").strip().removeprefix("@")
        if name and self.telegram_id:
            return f"@{name} ({self.telegram_id})"
        return f"@{name}" if name else str(self.telegram_id)


async def admin_target(
    deps: Dependencies, telegram_id: int | None, username: str | None
) -> AdminTarget:
    """The target named by an id or an @username; a bound worker's username comes with
    their id."""
    if telegram_id is not None or username is None:
        return AdminTarget(telegram_id, None)
    worker = await worker_by_username(deps, username)
    return AdminTarget(worker.telegram_id if worker else None, username)


async def grant_admin(deps: Dependencies, target: AdminTarget, *, actor: int) -> bool:
    """Make ``target`` an admin (by @username: from their first message on); False if
    they are one already."""
    if target.telegram_id is not None and deps.is_admin(target.telegram_id):
        return False
    return await deps.db.admins.grant(
        telegram_id=target.telegram_id, username=target.username, actor=actor, at=deps.now()
    )


async def revoke_admin(deps: Dependencies, target: AdminTarget, *, actor: int) -> bool:
    """Take a chat-granted admin right back; False if there was none. An admin of
    GRIDBOT_ADMINS cannot be revoked from chat (``admin.env_admin``)."""
    return await deps.db.admins.revoke(
        telegram_id=target.telegram_id, username=target.username, actor=actor, at=deps.now()
    )


def is_env_admin(deps: Dependencies, target: AdminTarget) -> bool:
    """Whether the target is one of GRIDBOT_ADMINS (which chat cannot revoke)."""
    return target.telegram_id in deps.settings.admins


async def grants(deps: Dependencies) -> list[AdminGrant]:
    """The admin rights granted in chat, in force."""
    return await deps.db.admins.grants()


async def claim_grant(deps: Dependencies, telegram_id: int, username: str | None) -> None:
    """A user granted by @username writes for the first time: record their id. Cheap (a
    memory check) for everyone else."""
    admins = deps.db.admins
    if not admins.is_pending(username) or deps.is_admin(telegram_id):
        return
    await admins.claim(username or "", telegram_id, deps.now())
