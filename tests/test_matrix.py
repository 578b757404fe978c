"""Access control as one table: every command and every callback prefix, tried by every role,
each aimed at grid QJ-01 (王娜's grid, in 前进社区). Only the roles the table allows may
change anything or see QJ-01's data; nobody ever causes an error.

Roles: an unknown user, QJ-01's worker, a worker of another community's grid, a supervisor in
the group bound to another community, a member of a group bound to nothing, and an admin.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
from collections.abc import Iterator

import pytest
from harness import ADMIN_ID, Harness, file_zero
from test_fuzz import ErrorLog, commands_and_prefixes

from bot.emulator import SimGroup, SimUser
from bot.i18n import catalog

STRANGER, OWN, OTHER, SUPERVISOR, UNBOUND, ADMIN = (
    "stranger",
    "own_worker",
    "other_worker",
    "other_supervisor",
    "unbound_group",
    "admin",
)
ROLES = (STRANGER, OWN, OTHER, SUPERVISOR, UNBOUND, ADMIN)
WORKER_ROLES = frozenset({OWN})
ADMIN_ONLY = frozenset({ADMIN})
LEAK = "王娜"
"""QJ-01's worker: a name only QJ-01's own worker, its area's groups and admins may see."""

# action: (what is sent, the roles that may change QJ-01's data or see it)
TABLE: dict[str, tuple[str, frozenset[str]]] = {
    "start": ("/start", WORKER_ROLES | ADMIN_ONLY),
    "help": ("/help", WORKER_ROLES | ADMIN_ONLY),
    "status": ("/status", WORKER_ROLES),
    "report": ("/report", WORKER_ROLES),
    "zero": ("/zero", WORKER_ROLES),
    "template": ("/template", WORKER_ROLES),
    "correct": ("/correct", WORKER_ROLES),
    "cancel": ("/cancel", WORKER_ROLES),
    "away": ("/away", WORKER_ROLES),
    "digest": ("/digest", ADMIN_ONLY),
    "late": ("/late", ADMIN_ONLY),
    "stats": ("/stats 7d 学院南路街道/前进社区", ADMIN_ONLY),
    "chart": ("/chart", ADMIN_ONLY),
    "excuse": ("/excuse QJ-01 停电", ADMIN_ONLY),
    "fix": ("/fix QJ-01 today screened 9 核对后更正", ADMIN_ONLY),
    "export": ("/export", ADMIN_ONLY),
    "grids": ("/grids", ADMIN_ONLY),
    "invite": ("/invite QJ-01", ADMIN_ONLY),
    "revoke": ("/revoke QJ-01", ADMIN_ONLY),
    "addworker": ("/addworker QJ-01 @newcomer 新人", ADMIN_ONLY),
    "grantadmin": ("/grantadmin @grid_qj01_3", ADMIN_ONLY),
    "revokeadmin": ("/revokeadmin @grid_qj01_3", ADMIN_ONLY),
    "admins": ("/admins", ADMIN_ONLY),
    "backup": ("/backup", ADMIN_ONLY),
    "bindgroup": ("/bindgroup 学院南路街道/前进社区", ADMIN_ONLY),
    "c": ("button c:000000:1:submit", WORKER_ROLES),
    "m": ("button m:correct", WORKER_ROLES),
    "ack": ("button ack:1", frozenset()),
    "adm": ("button adm:roster:ok", ADMIN_ONLY),
    "removeworker": ("/removeworker @grid_qj01_1", ADMIN_ONLY),  # last: 王娜 is gone after it
}
GROUP_ACTIONS = 8
"""Actions tried in one group before the next (each action may post a couple of messages)."""
QJ01 = "(SELECT id FROM grids WHERE code = 'QJ-01')"
FINGERPRINTED = (
    f"SELECT * FROM reports WHERE grid_id = {QJ01}",
    f"SELECT v.* FROM report_versions v JOIN reports r ON r.id = v.report_id"
    f" WHERE r.grid_id = {QJ01}",
    f"SELECT id, name, username, telegram_id, active FROM workers WHERE grid_id = {QJ01}",
    f"SELECT * FROM invites WHERE grid_id = {QJ01}",
    f"SELECT * FROM excusals WHERE grid_id = {QJ01}",
    f"SELECT a.* FROM absences a JOIN workers w ON w.id = a.worker_id WHERE w.grid_id = {QJ01}",
    "SELECT * FROM group_chats",
    "SELECT * FROM admin_grants",
)
"""QJ-01's data, the group bindings and the admin grants: what the table protects."""


@pytest.fixture
def errors() -> Iterator[ErrorLog]:
    handler = ErrorLog()
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)


async def fingerprint(bot: Harness) -> str:
    """A digest of QJ-01's data, the bindings and the grants."""
    digest = hashlib.sha256()
    async with bot.deps.db.read() as conn:
        for query in FINGERPRINTED:
            async with conn.execute(query) as cursor:
                digest.update(repr([tuple(row) for row in await cursor.fetchall()]).encode())
    return digest.hexdigest()


async def cast(bot: Harness) -> dict[str, tuple[SimUser, SimGroup | None]]:
    """The six roles, set up: QJ-01 has filed today; 东关社区's group is bound."""
    admin = bot.user(ADMIN_ID, "Admin")
    await bot.start_bot(admin)
    own = bot.user(710000001, "王娜")
    other = bot.user(710000015, "李芳洋")  # DG-01, 东关社区
    await file_zero(bot, own)
    supervisor = bot.user(800_000_002, "钱主任")
    unbound_member = bot.user(800_000_003, "孙某")
    bound, unbound = await fresh_groups(bot, admin, supervisor, unbound_member, 0)
    return {
        STRANGER: (bot.user(555_000_001, "路人"), None),
        OWN: (own, None),
        OTHER: (other, None),
        SUPERVISOR: (supervisor, bound),
        UNBOUND: (unbound_member, unbound),
        ADMIN: (admin, None),
    }


async def fresh_groups(
    bot: Harness, admin: SimUser, supervisor: SimUser, member: SimUser, number: int
) -> tuple[SimGroup, SimGroup]:
    """A group bound to 东关社区 with the supervisor in it, and an unbound one: new ones every
    few actions, so that Telegram's 20 messages a minute per group never slow the run."""
    bound = bot.group(-100_200 - number, f"东关社区防控群{number}", admins=(admin,))
    bound.add_member(supervisor)
    await bot.send(admin, "/bindgroup 学院南路街道/东关社区", chat=bound)
    unbound = bot.group(-100_300 - number, f"闲聊群{number}")
    unbound.add_member(member)
    return bound, unbound


def test_the_table_covers_every_command_and_callback_prefix(bot: Harness) -> None:
    commands, prefixes = commands_and_prefixes(bot)
    assert set(commands) | set(prefixes) <= set(TABLE), set(commands) | set(prefixes) - set(TABLE)


async def test_role_action_matrix(bot: Harness, errors: ErrorLog) -> None:
    roles = await cast(bot)
    fixed = {re.sub(r"<[^>]+>", "", text) for text in catalog("zh_CN").values() if "{" not in text}
    cells = 0
    for number, (action, (sent, allowed)) in enumerate(TABLE.items()):
        if number and number % GROUP_ACTIONS == 0:
            admin, supervisor, member = roles[ADMIN][0], roles[SUPERVISOR][0], roles[UNBOUND][0]
            bound, unbound = await fresh_groups(bot, admin, supervisor, member, number)
            roles[SUPERVISOR], roles[UNBOUND] = (supervisor, bound), (member, unbound)
        for role in ROLES:
            user, chat = roles[role]
            where: SimUser | SimGroup = chat or user
            before, seen = await fingerprint(bot), len(where.inbox())
            answers = len(user.callback_answers())
            if sent.startswith("button "):
                inbox = where.inbox()
                message_id = inbox[-1].message_id if inbox else 1
                await bot._settle(await user.press_data(sent.split()[1], message_id, chat=chat))
            else:
                await bot.send(user, sent, chat=chat)
            cells += 1
            if role in allowed and len(where.inbox()) == seen and not sent.startswith("button "):
                with contextlib.suppress(AssertionError):  # a background task (/stats, /export)
                    await where.wait_for_message(timeout=30)
            replies = [message.plain_text or "" for message in where.inbox()[seen:]]
            pressed = [answer.text or "" for answer in user.callback_answers()[answers:]]
            where_ = f"{role} × {action}"
            assert errors.records == [], f"{where_}: {errors.records[0].getMessage()}"
            if role == STRANGER:  # fixed refusals only: nothing from the data
                assert set(replies + pressed) <= fixed, f"{where_}: {replies + pressed}"
            if role not in allowed:
                assert await fingerprint(bot) == before, f"{where_} changed data"
                assert not any(LEAK in text for text in replies + pressed), f"{where_} leaked"
            if role in allowed and not sent.startswith("button "):
                assert replies or pressed, f"{where_}: no answer"
    assert cells == len(TABLE) * len(ROLES)
    print(f"matrix: {cells} cells ({len(TABLE)} actions × {len(ROLES)} roles)")
