"""transcript.html: safe markup from Telegram entities, every chat present, and a real
headless Chromium that loads the demo's page and paints something (not a blank screen).

Chromium comes from Debian's ``chromium`` package; ``make test`` installs it where missing
(``scripts/ensure-chromium.sh``). Without it the browser test is skipped, saying why.
"""

from __future__ import annotations

import base64
import html
import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest
from demo_support import PlayedDemo, short_demo

from bot.demo.output import TRANSCRIPT
from bot.demo.people import Behaviour
from bot.demo.transcript import entities_html
from bot.i18n import t

pytestmark = pytest.mark.xdist_group("short_demo")
"""Both modules use the same played demo: one xdist worker runs them, so it is played once."""

BROWSER_NAMES = ("chromium", "chromium-browser")
WINDOW = (1000, 1400)
BROWSER_TIMEOUT = 120


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> PlayedDemo:
    return short_demo(tmp_path_factory.getbasetemp() / "short-demo")


# --------------------------------------------------------------------------- markup


def test_text_is_escaped_and_entities_become_tags() -> None:
    text = "🚨 <b>not a tag</b> & Grid 1 filed"
    # "🚨" is two UTF-16 units: "Grid 1" starts at unit 22, as Telegram counts.
    entities = [{"type": "bold", "offset": 22, "length": 6}]
    assert entities_html(text, entities) == (
        "🚨 &lt;b&gt;not a tag&lt;/b&gt; &amp; <b>Grid 1</b> filed"
    )


def test_nested_entities_close_inner_first_and_unknown_ones_are_plain() -> None:
    text = "bold italic url"
    entities = [
        {"type": "bold", "offset": 0, "length": 11},
        {"type": "italic", "offset": 5, "length": 6},
        {"type": "url", "offset": 12, "length": 3},
    ]
    assert entities_html(text, entities) == "<b>bold <i>italic</i></b> url"


def test_the_page_has_no_script_and_no_external_asset(played: PlayedDemo) -> None:
    page = (played.out / TRANSCRIPT).read_text("utf-8")
    assert "<script" not in page.lower()
    for reference in ("http://", "https://", "@import", "url("):
        assert reference not in page
    sources = page.split(" src=")[1:]
    assert sources and all(src.startswith('"data:image/png;base64,') for src in sources)


def test_each_group_shows_the_chart_it_received_after_its_digest(played: PlayedDemo) -> None:
    page = (played.out / TRANSCRIPT).read_text("utf-8")
    for group in played.demo.world.groups:
        section = page.split(f'id="chat{abs(group.chat_id)}"')[1].split("</section>")[0]
        day = played.demo.played[0].day
        name = group.area_path("zh_CN").rsplit("/", 1)[-1]
        digest_at = section.index(t("zh_CN", "digest.title", area=name, day=day.isoformat()))
        assert section.find('<img class="photo"', digest_at) > digest_at, group.slug
        picture = played.out / f"chart-{day}-{group.slug}.png"
        encoded = base64.b64encode(picture.read_bytes()).decode("ascii")
        assert encoded in section


def test_the_acknowledged_alert_shows_edited_with_its_button_tapped(played: PlayedDemo) -> None:
    demo = played.demo
    urgent = next(
        part for part in demo.played[0].parts.values() if part.behaviour == Behaviour.URGENT
    )
    group = next(g for g in demo.world.groups if g.slug == urgent.worker.grid.community)
    page = (played.out / TRANSCRIPT).read_text("utf-8")
    section = page.split(f'id="chat{abs(group.chat_id)}"')[1].split("</section>")[0]
    ack = html.escape(t("zh_CN", "outbound.ack_button"))
    assert f'<span class="btn tapped">{ack}</span>' in section
    assert t("zh_CN", "demo.transcript.edited") in section
    assert f"{t('zh_CN', 'demo.transcript.tapped')} {ack}" in section


# --------------------------------------------------------------------------- the browser


def find_browser() -> str | None:
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def run_browser(browser: str, *args: str, profile: Path) -> str:
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=True
    )
    return done.stdout


def test_the_transcript_loads_in_headless_chromium_and_is_not_blank(
    played: PlayedDemo, tmp_path: Path
) -> None:
    browser = find_browser()
    if browser is None:
        pytest.skip(
            "Chromium is not installed and could not be installed here (`make test` runs "
            "scripts/ensure-chromium.sh, which needs apt-get and root): the transcript was "
            "not checked in a browser"
        )
    url = (played.out / TRANSCRIPT).resolve().as_uri()
    dom = run_browser(browser, "--dump-dom", url, profile=tmp_path / "profile-dom")
    world = played.demo.world
    people = [world.admin, *world.workers]
    for chat_id in [g.chat_id for g in world.groups] + [p.telegram_id for p in people]:
        assert f'id="chat{abs(chat_id)}"' in dom, chat_id
    assert dom.count('<img class="photo"') > len(world.groups)  # digest charts, and a /chart

    shot = tmp_path / "transcript.png"
    width, height = WINDOW
    run_browser(
        browser,
        f"--screenshot={shot}",
        f"--window-size={width},{height}",
        url,
        profile=tmp_path / "profile-shot",
    )
    size, colours = png_colours(shot.read_bytes())
    assert size == WINDOW
    (_, most), total = colours.most_common(1)[0], sum(colours.values())
    assert len(colours) > 50, f"only {len(colours)} colours: a blank page?"
    assert most / total < 0.9, "one colour covers nearly the whole screenshot"


# --------------------------------------------------------------------------- a tiny PNG reader


def png_colours(data: bytes) -> tuple[tuple[int, int], Counter[bytes]]:
    """The size of an 8-bit RGB(A) PNG and how many pixels have each colour."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    position, chunks, header = 8, [], b""
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, "unexpected PNG format"
    channels = 3 if colour_type == 2 else 4
    rows = unfilter(zlib.decompress(b"".join(chunks)), width * channels, channels)
    colours: Counter[bytes] = Counter()
    for row in rows:
        colours.update(row[i : i + 3] for i in range(0, len(row), channels))
    return (width, height), colours


def unfilter(raw: bytes, stride: int, bpp: int) -> list[bytes]:
    """Undo PNG's per-row filters (None, Sub, Up, Average, Paeth)."""
    rows: list[bytes] = []
    previous = bytearray(stride)
    for start in range(0, len(raw), stride + 1):
        kind, row = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                row[i] = (row[i] + row[i - bpp]) & 0xFF
        elif kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, previous, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + (left + previous[i]) // 2) & 0xFF
        elif kind == 4:
            for i in range(stride):
                left = row[i - bpp] if i >= bpp else 0
                corner = previous[i - bpp] if i >= bpp else 0
                row[i] = (row[i] + paeth(left, previous[i], corner)) & 0xFF
        rows.append(bytes(row))
        previous = row
    return rows


def paeth(left: int, up: int, corner: int) -> int:
    estimate = left + up - corner
    to_left, to_up, to_corner = abs(estimate - left), abs(estimate - up), abs(estimate - corner)
    if to_left <= to_up and to_left <= to_corner:
        return left
    return up if to_up <= to_corner else corner
