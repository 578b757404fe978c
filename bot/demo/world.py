"""The demo's world: one street, its communities and grids, workers and supervisors.

Everything is drawn from a seeded ``random.Random``, so the same seed gives the same people.
Names are Chinese; with ``--lang en`` people and places carry their pinyin names instead, so
an English reader can follow the chats.
"""

from __future__ import annotations

import csv
import io
import random
from dataclasses import dataclass

from bot.i18n import Locale, short_lang

ADMIN_ID = 700_000_001
"""The street office's admin (in ``GRIDBOT_ADMINS``): binds the supervisor groups."""
FIRST_WORKER_ID = 710_000_001
FIRST_SUPERVISOR_ID = 720_000_001
FIRST_GROUP_ID = -1_001_000_000_001

ROSTER_COLUMNS = (
    "area",
    "grid_code",
    "grid_name",
    "worker_name",
    "worker_username",
    "worker_id",
    "households",
    "population",
)
Bilingual = tuple[str, str]
"""(Chinese, English)."""

STREET: Bilingual = ("学院南路街道", "Xueyuan Road Subdistrict")
COMMUNITIES: tuple[tuple[str, Bilingual], ...] = (
    ("QJ", ("前进社区", "Qianjin Community")),
    ("HP", ("和平社区", "Heping Community")),
)
"""Code and name. Their grids' names repeat (each has a 第一网格), as in real rosters."""
GRID_NUMERALS = ("一", "二", "三", "四", "五", "六", "七", "八", "九", "十")
SURNAMES: tuple[Bilingual, ...] = (
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"),
    ("杨", "Yang"), ("赵", "Zhao"), ("黄", "Huang"), ("周", "Zhou"), ("吴", "Wu"),
    ("徐", "Xu"), ("孙", "Sun"), ("胡", "Hu"), ("朱", "Zhu"), ("高", "Gao"),
    ("林", "Lin"), ("何", "He"), ("郭", "Guo"), ("马", "Ma"), ("罗", "Luo"),
)  # fmt: skip
GIVEN_NAMES: tuple[Bilingual, ...] = (
    ("娜", "Na"), ("伟", "Wei"), ("芳", "Fang"), ("敏", "Min"), ("静", "Jing"),
    ("丽", "Li"), ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"),
    ("勇", "Yong"), ("艳", "Yan"), ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"),
    ("明", "Ming"), ("超", "Chao"), ("秀英", "Xiuying"), ("桂英", "Guiying"),
    ("建华", "Jianhua"), ("志强", "Zhiqiang"), ("海燕", "Haiyan"), ("红梅", "Hongmei"),
    ("晓东", "Xiaodong"),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Person:
    """Someone in the demo: a Telegram user with a name in each language."""

    telegram_id: int
    name: Bilingual
    username: str

    def name_in(self, locale: Locale) -> str:
        return pick(self.name, locale)


@dataclass(frozen=True, slots=True)
class DemoGrid:
    """A grid (网格) and the workers who report for it."""

    code: str
    name: Bilingual
    community: str
    """The community's code (``QJ``)."""
    households: int
    population: int
    workers: tuple[Person, ...]


@dataclass(frozen=True, slots=True)
class SupervisorGroup:
    """A supervisors' group chat, to be bound to an area."""

    chat_id: int
    slug: str
    """A file-name friendly name: ``street`` or the community's code."""
    area: tuple[Bilingual, ...]
    """The area path, level by level."""
    supervisor: Person

    def area_path(self, locale: Locale) -> str:
        return "/".join(pick(level, locale) for level in self.area)

    def title(self, locale: Locale) -> str:
        return pick(("{area} 主管群", "{area} supervisors"), locale).format(
            area=pick(self.area[-1], locale)
        )


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """The whole demo roster."""

    grids: tuple[DemoGrid, ...]
    groups: tuple[SupervisorGroup, ...]
    admin: Person

    @property
    def workers(self) -> tuple[Person, ...]:
        return tuple(worker for grid in self.grids for worker in grid.workers)

    @property
    def street_group(self) -> SupervisorGroup:
        return self.groups[0]

    def community_groups(self) -> tuple[SupervisorGroup, ...]:
        return self.groups[1:]

    def roster_csv(self, locale: Locale) -> bytes:
        """The roster as the CSV an admin imports (``gridbot roster import``)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(ROSTER_COLUMNS)
        paths = {group.slug: group.area_path(locale) for group in self.groups}
        for grid in self.grids:
            for worker in grid.workers:
                place = (paths[grid.community], grid.code, pick(grid.name, locale))
                who = (worker.name_in(locale), worker.username, worker.telegram_id)
                writer.writerow((*place, *who, grid.households, grid.population))
        return buffer.getvalue().encode("utf-8")


def build_world(rng: random.Random, grids_per_community: int) -> DemoWorld:
    """A street with two communities of ``grids_per_community`` grids, 2–3 workers each."""
    if not 1 <= grids_per_community <= len(GRID_NUMERALS):
        raise ValueError(f"grids_per_community must be 1..{len(GRID_NUMERALS)}")
    names = _NamePool(rng)
    places = [(c, n) for c in COMMUNITIES for n in range(1, grids_per_community + 1)]
    grids = tuple(
        _grid(rng, names, community, number, FIRST_WORKER_ID + 10 * index)
        for index, (community, number) in enumerate(places)
    )
    areas = [("street", (STREET,))] + [(code, (STREET, name)) for code, name in COMMUNITIES]
    groups = tuple(
        SupervisorGroup(
            FIRST_GROUP_ID - index,
            slug,
            area,
            Person(FIRST_SUPERVISOR_ID + index, names.draw(), f"supervisor_{slug.lower()}"),
        )
        for index, (slug, area) in enumerate(areas)
    )
    return DemoWorld(grids, groups, Person(ADMIN_ID, names.draw(), "street_admin"))


def _grid(
    rng: random.Random,
    names: _NamePool,
    community: tuple[str, Bilingual],
    number: int,
    first_id: int,
) -> DemoGrid:
    """Grid ``number`` of a community, with its workers (Telegram ids from ``first_id``)."""
    code = community[0]
    grid_code = f"{code}-{number:02d}"
    username = f"grid_{grid_code.replace('-', '').lower()}"
    workers = tuple(
        Person(first_id + index, names.draw(), f"{username}_{index + 1}")
        for index in range(rng.choice((2, 2, 3)))
    )
    households = rng.randrange(280, 900)
    return DemoGrid(
        code=grid_code,
        name=(f"第{GRID_NUMERALS[number - 1]}网格", f"Grid {number}"),
        community=code,
        households=households,
        population=int(households * rng.uniform(2.4, 3.1)),
        workers=workers,
    )


class _NamePool:
    """Draws distinct two- or three-character Chinese names with their pinyin."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._used: set[str] = set()

    def draw(self) -> Bilingual:
        while True:
            surname = self._rng.choice(SURNAMES)
            given = self._rng.choice(GIVEN_NAMES)
            name = (surname[0] + given[0], f"{surname[1]} {given[1]}")
            if name[0] not in self._used:
                self._used.add(name[0])
                return name


def pick(text: Bilingual, locale: Locale) -> str:
    return text[0] if short_lang(locale) == "zh" else text[1]
