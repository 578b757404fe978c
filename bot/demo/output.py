"""What the demo leaves behind in ``--out``: digests, the roster, the transcript page.

Everything is derived from the database and the emulator's record after the days are played.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.demo.run import ZONE, Demo
from bot.demo.transcript import ChatInfo, build_chats, render_page
from bot.demo.world import pick
from bot.domain.digest import render_plain
from bot.i18n import t

TRANSCRIPT = "transcript.html"
ROSTER = "roster.csv"
MANIFEST = ".gridbot-demo-files"
"""The names of the files the last run wrote, so the next run removes exactly those."""


@dataclass(frozen=True, slots=True)
class Written:
    """A file the demo wrote and what it is (for the closing list)."""

    path: Path
    what: str


def write_outputs(demo: Demo) -> list[Written]:
    """Write every output file; returns them in the order they are listed to the user."""
    out = demo.options.out
    lang = demo.lang
    written = [_write(out / ROSTER, demo.world.roster_csv(lang), t(lang, "demo.file.roster"))]
    for played in demo.played:
        for slug, digest in played.digests.items():
            name = f"digest-{played.day.isoformat()}-{slug}.txt"
            text = render_plain(digest, lang) + "\n"
            what = t(lang, "demo.file.digest", area=digest.area.path, day=played.day.isoformat())
            written.append(_write(out / name, text.encode("utf-8"), what))
    written += _charts(demo)
    for message in demo.people.admin.inbox():
        if message.document is not None:
            what = t(lang, "demo.file.export")
            document = message.document
            written.append(_write(out / document.filename, document.content, what))
    page = transcript_page(demo)
    written.append(_write(out / TRANSCRIPT, page.encode("utf-8"), t(lang, "demo.file.transcript")))
    names = "".join(f"{item.path.name}\n" for item in written)
    (out / MANIFEST).write_text(names, encoding="utf-8")
    return written


def _charts(demo: Demo) -> list[Written]:
    """Every chart a supervisor group received, as ``chart-DAY-GROUP.png``."""
    written: list[Written] = []
    for group in demo.world.groups:
        area = group.area_path(demo.lang)
        for message in demo.people.groups[group.slug].inbox():
            if message.photo is None:
                continue
            day = message.date.astimezone(ZONE).date().isoformat()
            name = f"chart-{day}-{group.slug}.png"
            taken = {item.path.name for item in written}
            number = 2
            while name in taken:
                name, number = f"chart-{day}-{group.slug}-{number}.png", number + 1
            what = t(demo.lang, "chart.demo_file", area=area, day=day)
            written.append(_write(demo.options.out / name, message.photo.content, what))
    return written


def clear_previous(out: Path) -> None:
    """Remove the files a previous run wrote into ``out`` (and nothing else), so stale
    digests or ledgers of other days do not linger next to the new ones."""
    manifest = out / MANIFEST
    if not manifest.is_file():
        return
    for name in manifest.read_text(encoding="utf-8").splitlines():
        if name and Path(name).name == name:
            (out / name).unlink(missing_ok=True)
    manifest.unlink()


def transcript_page(demo: Demo) -> str:
    """The transcript of every chat: supervisor groups first, then each worker's chat."""
    lang = demo.lang
    infos = [
        ChatInfo(
            group.chat_id,
            group.title(lang),
            t(lang, "demo.transcript.group_line", area=group.area_path(lang)),
            group=True,
        )
        for group in demo.world.groups
    ]
    admin = demo.world.admin
    infos.append(
        ChatInfo(
            admin.telegram_id,
            admin.name_in(lang),
            t(lang, "demo.transcript.admin_line", username=admin.username),
            group=False,
        )
    )
    infos += [
        ChatInfo(
            person.telegram_id,
            t(lang, "demo.transcript.worker_title", name=person.name_in(lang), code=grid.code),
            t(
                lang,
                "demo.transcript.worker_line",
                code=grid.code,
                grid=pick(grid.name, lang),
                username=person.username,
            ),
            group=False,
        )
        for grid in demo.world.grids
        for person in grid.workers
    ]
    chats = build_chats(infos, demo.emu.sent, demo.emu.calls, demo.stage.events, bot_name="gridbot")
    heading = t(lang, "demo.transcript.title")
    days = [played.day.isoformat() for played in demo.played]
    intro = t(
        lang,
        "demo.transcript.intro",
        first=days[0] if days else "",
        last=days[-1] if days else "",
        seed=demo.options.seed,
        chats=len(chats),
    )
    return render_page(chats, lang, heading=heading, intro=intro)


def terminal_digests(demo: Demo) -> Sequence[str]:
    """The last evening's digests of the street and of the first community, as text."""
    digests = demo.played[-1].digests
    community = demo.world.community_groups()[0].slug
    chosen = [digests[demo.world.street_group.slug], digests[community]]
    return [render_plain(digest, demo.lang) for digest in chosen]


def _write(path: Path, content: bytes, what: str) -> Written:
    path.write_bytes(content)
    return Written(path, what)
